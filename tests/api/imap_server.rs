//! A real IMAP server for the tests: Debian's Dovecot (`dovecot-imapd`), one per test, run in
//! the foreground from a temporary folder of its own on a free local port, and stopped (with
//! every process it started) when dropped. Tests run in parallel, so nothing is shared: no
//! fixed port, no path outside the folder, no system service.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::helpers::free_port;

const DOVECOT: &str = "/usr/sbin/dovecot";
/// Start-up takes 50-150 ms here; the margin is for a loaded CI machine.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// For one whole exchange of `append` or `flags`.
const EXCHANGE_WITHIN: Duration = Duration::from_secs(10);
/// Where the mailbox belongs when the tests run as root: Dovecot's imap process refuses uid 0
/// ("userdb returned 0 as uid"), so it drops to nobody:nogroup.
const UNPRIVILEGED: u32 = 65534;

/// Dovecot's whole configuration (nothing in /etc/dovecot is read), tried on Dovecot 2.3.19
/// (Debian bookworm) as root and as an ordinary user. `try_start` fills in every @PLACEHOLDER@.
const CONFIG: &str = "\
# Everything Dovecot writes (sockets, pid file, state, log, mail) stays under @DIR@.
base_dir = @DIR@/run
state_dir = @DIR@/state
log_path = @DIR@/dovecot.log
# Names this instance's processes (ps shows @NAME@/imap, ...) and its greeting, so the readiness
# check knows it reached this server and not another one that took the port first.
instance_name = @NAME@
login_greeting = @NAME@ ready.

protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A test of a wrong password should not wait the default 2 s.
auth_failure_delay = 0
# A test's mail need not survive a crash.
mail_fsync = never

# As root: Debian's own accounts (made by dovecot-core). As another user: that user, since
# only root may switch users; the group must be given too, or Dovecot chowns sockets to the
# dovecot group and fails.
default_internal_user = @INTERNAL_USER@
default_internal_group = @INTERNAL_GROUP@
default_login_user = @LOGIN_USER@
# The default (500) would refuse a system account running the tests (uid 0 stays refused).
first_valid_uid = 1

passdb {
  driver = passwd-file
  args = @DIR@/passwd
}
userdb {
  driver = static
  args = uid=@MAIL_UID@ gid=@MAIL_GID@ home=@DIR@/mail/%u
}
mail_location = maildir:~/Maildir
# IDLE learns of new mail through inotify (within 0.5 s); this is the fallback's interval.
mailbox_idle_check_interval = 1 secs

# Only root may chroot; nothing here needs it.
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    port = @PORT@
  }
  inet_listener imaps {
    port = 0
  }
}
";

pub struct ImapServer {
    pub port: u16,
    pub user: String,
    pub password: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl ImapServer {
    /// A running server with one mailbox, `support@example.com` / `secret`, its INBOX empty.
    /// None (saying so) when Dovecot is not installed, so that `cargo test` alone needs nothing
    /// but cargo; with `OMNIBRIDGE_TEST_REQUIRE_IMAP` set, a missing Dovecot is a failure.
    pub async fn start() -> Option<ImapServer> {
        if !Path::new(DOVECOT).exists() {
            assert!(
                std::env::var_os("OMNIBRIDGE_TEST_REQUIRE_IMAP").is_none(),
                "no IMAP server: {DOVECOT} is missing (apt-get install dovecot-imapd)"
            );
            eprintln!("skipped: no IMAP server (apt-get install dovecot-imapd)");
            return None;
        }
        // The port is found free and let go before Dovecot binds it, so something else may
        // take it in between; Dovecot then exits at once saying so, and another port is tried.
        for _ in 0..5 {
            match ImapServer::try_start().await {
                Ok(server) => return Some(server),
                Err(said) if said.contains("Address already in use") => {}
                Err(said) => panic!("Dovecot did not start:\n{said}"),
            }
        }
        panic!("Dovecot found its port taken five times in a row");
    }

    /// Dovecot started and greeting, or what it said when it did not get there.
    async fn try_start() -> Result<ImapServer, String> {
        let dir = tempfile::Builder::new()
            .prefix("omnibridge-imap-")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().to_owned();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let port = free_port();
        let user = "support@example.com".to_owned();
        let password = "secret".to_owned();

        // Whoever made the folder is who the tests run as.
        let owner = std::fs::metadata(&path).expect("temp dir metadata");
        let root = owner.uid() == 0;
        let (mail_uid, mail_gid) = if root {
            (UNPRIVILEGED, UNPRIVILEGED)
        } else {
            (owner.uid(), owner.gid())
        };
        // Dovecot wants names here, not numbers.
        let (internal_user, internal_group, login_user) = if root {
            (
                "dovecot".to_owned(),
                "dovecot".to_owned(),
                "dovenull".to_owned(),
            )
        } else {
            (id("-un"), id("-gn"), id("-un"))
        };
        // The auth process (as dovecot) reads the passwd file and the imap process (as nobody)
        // reaches its mail and the sockets through this folder, which tempfile makes 0700.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("open up the temp dir");
        let mail = path.join("mail");
        std::fs::create_dir(&mail).expect("mail dir");
        if root {
            std::os::unix::fs::chown(mail, Some(mail_uid), Some(mail_gid)).expect("chown mail dir");
        }
        std::fs::write(path.join("passwd"), format!("{user}:{{PLAIN}}{password}\n"))
            .expect("passwd file");
        let config = CONFIG
            .replace("@DIR@", &path.display().to_string())
            .replace("@NAME@", &name)
            .replace("@PORT@", &port.to_string())
            .replace("@INTERNAL_USER@", &internal_user)
            .replace("@INTERNAL_GROUP@", &internal_group)
            .replace("@LOGIN_USER@", &login_user)
            .replace("@MAIL_UID@", &mail_uid.to_string())
            .replace("@MAIL_GID@", &mail_gid.to_string());
        std::fs::write(path.join("dovecot.conf"), config).expect("dovecot.conf");

        // What Dovecot prints before its log process runs (a bad setting, a port in use) goes
        // to its stderr: into a file, to show when it fails.
        let out = std::fs::File::create(path.join("dovecot.out")).expect("dovecot.out");
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(path.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dovecot.out"))
            .stderr(out)
            .spawn()
            .expect("run dovecot");
        // Made at once, so that whatever happens from here on, dropping it stops Dovecot.
        let mut server = ImapServer {
            port,
            user,
            password,
            child,
            dir,
        };

        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = server.child.try_wait().expect("dovecot's status") {
                return Err(format!("dovecot exited ({status}):\n{}", server.said()));
            }
            if greets(port, &name).await {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "dovecot not ready within {READY_WITHIN:?}:\n{}",
                    server.said()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// For the service's `mail.imap_url`.
    pub fn url(&self) -> String {
        format!(
            "imap://{}:{}@127.0.0.1:{}",
            userinfo(&self.user),
            userinfo(&self.password),
            self.port
        )
    }

    /// Delivers a raw RFC 5322 message into INBOX, as a mail arriving would.
    pub async fn append(&self, raw: &[u8]) {
        let exchange = async {
            let mut imap = Session::login(self).await;
            imap.command("APPEND INBOX", Some(raw)).await;
            imap.command("LOGOUT", None).await;
        };
        tokio::time::timeout(EXCHANGE_WITHIN, exchange)
            .await
            .expect("IMAP APPEND within 10 s");
    }

    /// Every message in INBOX: its UID and its flags as the server lists them, space-separated
    /// (e.g. `\Seen $OmnibridgeRejected`), without `\Recent`, which is per session and not
    /// stored. Sorted by UID.
    pub async fn flags(&self) -> Vec<(u32, String)> {
        let exchange = async {
            let mut imap = Session::login(self).await;
            // EXAMINE (read-only): looking changes nothing the service under test sees.
            imap.command("EXAMINE INBOX", None).await;
            let lines = imap.command("UID FETCH 1:* (FLAGS)", None).await;
            imap.command("LOGOUT", None).await;
            lines
        };
        let lines = tokio::time::timeout(EXCHANGE_WITHIN, exchange)
            .await
            .expect("IMAP FETCH within 10 s");
        let mut found: Vec<(u32, String)> = lines
            .iter()
            .map(String::as_str)
            .filter_map(fetched_flags)
            .collect();
        found.sort();
        found
    }

    /// Dovecot's own words: its stdout and stderr, then its log.
    fn said(&self) -> String {
        let read =
            |file: &str| std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default();
        format!("{}{}", read("dovecot.out"), read("dovecot.log"))
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("Dovecot's log:\n{}", self.said());
        }
        if !matches!(self.child.try_wait(), Ok(None)) {
            return; // exited already (start-up failed): nothing of it left running
        }
        // Every process at once, not only the master: an imap process whose client spoke in the
        // last 10 s outlives a stopped master (orphaned) until that client has been quiet for
        // 10 s, writing into the folder that is about to be removed. The master comes first in
        // the list, so that it is stopping (and starts no replacements) as its children go.
        let master = self.child.id();
        let tree = process_tree(master);
        let children: Vec<(u32, u64)> = tree
            .iter()
            .copied()
            .filter(|&(pid, _)| pid != master)
            .collect();
        signal("TERM", &tree);
        // They stop within milliseconds (a zombie counts as stopped).
        wait_until(Duration::from_secs(3), || {
            !children.iter().any(|&p| running(p))
        });
        // The master may then still sit out its shutdown wait (up to a second, seen here in some
        // stops) with nothing left to do: it gets a moment to exit by itself, then SIGKILL.
        wait_until(Duration::from_millis(100), || {
            !matches!(self.child.try_wait(), Ok(None))
        });
        let _ = self.child.kill();
        let _ = self.child.wait();
        let left: Vec<(u32, u64)> = children.into_iter().filter(|&p| running(p)).collect();
        signal("KILL", &left);
    }
}

/// Polls `done` until it holds or `within` has passed (for `drop`, which cannot await).
fn wait_until(within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether Dovecot answers on `port` with this instance's greeting.
async fn greets(port: u16, name: &str) -> bool {
    let attempt = async {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).await.ok()?;
        Some(line.starts_with("* OK") && line.contains(name))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(true))
    )
}

/// One IMAP connection, logged in, driven line by line (tagged commands, synchronizing
/// literals). Only what `append` and `flags` need: no literal is expected in an answer.
struct Session {
    stream: BufReader<TcpStream>,
    tags: u32,
}

impl Session {
    async fn login(server: &ImapServer) -> Session {
        let stream = TcpStream::connect(("127.0.0.1", server.port))
            .await
            .expect("connect to the IMAP server");
        let mut imap = Session {
            stream: BufReader::new(stream),
            tags: 0,
        };
        let greeting = imap.line().await;
        assert!(greeting.starts_with("* OK"), "IMAP greeting: {greeting}");
        let login = format!(
            "LOGIN {} {}",
            quoted(&server.user),
            quoted(&server.password)
        );
        imap.command(&login, None).await;
        imap
    }

    /// One line of the server's, without its CRLF.
    async fn line(&mut self) -> String {
        let mut line = Vec::new();
        let read = self
            .stream
            .read_until(b'\n', &mut line)
            .await
            .expect("read from the IMAP server");
        assert!(read > 0, "the IMAP server closed the connection");
        String::from_utf8_lossy(&line).trim_end().to_owned()
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream
            .get_mut()
            .write_all(bytes)
            .await
            .expect("write to the IMAP server");
    }

    /// Sends `command` (with `literal` as its last argument, if any) and returns the untagged
    /// lines of the answer; panics unless the answer is OK.
    async fn command(&mut self, command: &str, literal: Option<&[u8]>) -> Vec<String> {
        self.tags += 1;
        let tag = format!("t{}", self.tags);
        let done = format!("{tag} ");
        match literal {
            None => self.send(format!("{tag} {command}\r\n").as_bytes()).await,
            Some(data) => {
                self.send(format!("{tag} {command} {{{}}}\r\n", data.len()).as_bytes())
                    .await;
                // The server asks for the literal with "+", or refuses the command (tagged).
                loop {
                    let line = self.line().await;
                    if line.starts_with('+') {
                        break;
                    }
                    assert!(!line.starts_with(&done), "IMAP {command}: {line}");
                }
                self.send(data).await;
                self.send(b"\r\n").await;
            }
        }
        let mut untagged = Vec::new();
        loop {
            let line = self.line().await;
            if let Some(status) = line.strip_prefix(&done) {
                assert!(status.starts_with("OK"), "IMAP {command}: {line}");
                return untagged;
            }
            untagged.push(line);
        }
    }
}

/// (UID, flags) from `* 3 FETCH (UID 7 FLAGS (\Seen \Recent $OmnibridgeRejected))`, without
/// `\Recent`; None for any other line.
fn fetched_flags(line: &str) -> Option<(u32, String)> {
    let items = line.strip_prefix("* ")?.split_once(" FETCH (")?.1;
    let uid = items
        .split_once("UID ")?
        .1
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let flags = items.split_once("FLAGS (")?.1.split_once(')')?.0;
    let flags: Vec<&str> = flags
        .split_whitespace()
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .collect();
    Some((uid, flags.join(" ")))
}

/// An IMAP quoted string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Percent-encoded for the user or password part of a URL.
fn userinfo(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `id -un` or `id -gn`: the name of the user or group the tests run as.
fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().expect("run id");
    assert!(out.status.success(), "id {flag} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `root` and every process under it, each with its start time, so that a pid the system has
/// given to some other process since is never taken for one of them.
fn process_tree(root: u32) -> Vec<(u32, u64)> {
    let all: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| stat(pid).map(|(ppid, start, _)| (pid, ppid, start)))
        .collect();
    let mut tree: Vec<(u32, u64)> = all
        .iter()
        .filter(|&&(pid, _, _)| pid == root)
        .map(|&(pid, _, start)| (pid, start))
        .collect();
    let mut next = 0;
    while next < tree.len() {
        let parent = tree[next].0;
        tree.extend(
            all.iter()
                .filter(|&&(_, ppid, _)| ppid == parent)
                .map(|&(pid, _, start)| (pid, start)),
        );
        next += 1;
    }
    tree
}

/// A process's parent, start time and state (R, S, Z, ...), from /proc/<pid>/stat; None once
/// it is gone.
fn stat(pid: u32) -> Option<(u32, u64, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2, the command name in parentheses, may itself hold spaces and ')': the fields are
    // counted from after its last ')', the state (field 3) first.
    let fields: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?; // field 22, starttime
    Some((ppid, start, state))
}

/// Whether this process (the same one: same start time) still runs; a zombie does not.
fn running((pid, start): (u32, u64)) -> bool {
    stat(pid).is_some_and(|(_, s, state)| s == start && state != 'Z' && state != 'X')
}

/// Sends a signal to these processes, by pid. The shell's own `kill`: procps' /bin/kill is not
/// on every image, and dash's goes on past a pid that has gone meanwhile.
fn signal(name: &str, processes: &[(u32, u64)]) {
    let pids: Vec<String> = processes
        .iter()
        .filter(|&&p| running(p))
        .map(|&(pid, _)| pid.to_string())
        .collect();
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("kill -s {name} \"$@\""))
        .arg("sh")
        .args(pids)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
