//! `omnibridge backup FILE` and `omnibridge restore FILE`, for SQLite: one tar archive with a
//! consistent copy of the database (`omnibridge.db`) and the attachments folder
//! (`attachments/`).
//!
//! The copy is SQLite's `VACUUM INTO`, which reads one snapshot of the database in a read
//! transaction: the server goes on writing meanwhile (readers never block the writer in WAL
//! mode), and the copy holds exactly what was committed when it began. Files are copied after
//! it, so every file the copy's rows name is there (files are written before their rows
//! commit); a file added meanwhile comes along unnamed, which is harmless. The archive is
//! written beside FILE and renamed once complete, so FILE is whole or absent.
//!
//! Postgres has its own tools (`pg_dump`, `pg_restore`); the README says how.

use std::fs::{self, File};
use std::path::{Component, Path, PathBuf};

use diesel::connection::SimpleConnection;

use crate::config::Settings;
use crate::db::{Db, Dialect};
use crate::error::ApiError;

const DATABASE_ENTRY: &str = "omnibridge.db";
const ATTACHMENTS_ENTRY: &str = "attachments";

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackedUp {
    pub file: String,
    pub bytes: u64,
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
    pub database: String,
    pub attachments: usize,
}

fn sqlite_only(url: &str) -> Result<PathBuf, ApiError> {
    match Dialect::of_url(url) {
        Dialect::Sqlite => Ok(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url))),
        Dialect::Postgres => Err(ApiError::invalid(
            "database.url",
            "postgres",
            "backup and restore are for SQLite: on Postgres use pg_dump and pg_restore, and \
             copy the attachments folder (see the README)",
        )),
    }
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ApiError {
    let path = path.display().to_string();
    move |e| ApiError::Internal(format!("{what} {path}: {e}"))
}

/// Writes the archive to `file`, which must not exist yet.
pub fn backup(settings: &Settings, file: &Path) -> Result<BackedUp, ApiError> {
    sqlite_only(&settings.database.url)?;
    if file.exists() {
        return Err(ApiError::invalid(
            "FILE",
            "exists",
            format!("{} exists already", file.display()),
        ));
    }
    let partial = PathBuf::from(format!("{}.partial", file.display()));
    let snapshot = PathBuf::from(format!("{}.partial-db", file.display()));
    let _ = fs::remove_file(&snapshot);
    let target = snapshot.to_string_lossy().replace('\'', "''");
    // Its own connection, and no migrations: the database is the server's, as it is.
    let db = Db::connect(
        &settings.database.url,
        1,
        &settings.database.sqlite_synchronous,
    )?;
    if let Err(e) =
        db.read_blocking(|conn| Ok(conn.batch_execute(&format!("VACUUM INTO '{target}'"))?))
    {
        let _ = fs::remove_file(&snapshot);
        return Err(e);
    }
    let written = (|| -> Result<u64, ApiError> {
        let out = File::create(&partial).map_err(io("cannot create", &partial))?;
        let mut archive = tar::Builder::new(out);
        archive.follow_symlinks(false);
        archive
            .append_path_with_name(&snapshot, DATABASE_ENTRY)
            .map_err(io("cannot archive", &snapshot))?;
        let attachments = &settings.attachments.dir;
        if attachments.is_dir() {
            archive
                .append_dir_all(ATTACHMENTS_ENTRY, attachments)
                .map_err(io("cannot archive", attachments))?;
        }
        let out = archive
            .into_inner()
            .map_err(io("cannot finish", &partial))?;
        out.sync_all().map_err(io("cannot sync", &partial))?;
        Ok(out.metadata().map_err(io("cannot read", &partial))?.len())
    })();
    let _ = fs::remove_file(&snapshot);
    let bytes = match written {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    fs::rename(&partial, file).map_err(io("cannot rename to", file))?;
    Ok(BackedUp {
        file: file.display().to_string(),
        bytes,
    })
}

/// Puts an archive back: the database where `database.url` says (with the server stopped;
/// an existing database is replaced only with `force`), the files into `attachments.dir`.
pub fn restore(settings: &Settings, file: &Path, force: bool) -> Result<Restored, ApiError> {
    let database = sqlite_only(&settings.database.url)?;
    if database.exists() && !force {
        return Err(ApiError::invalid(
            "database.url",
            "exists",
            format!(
                "{} exists: stop the server, then pass --force to replace it",
                database.display()
            ),
        ));
    }
    let attachments = &settings.attachments.dir;
    let incoming = PathBuf::from(format!("{}.restoring", database.display()));
    let opened = File::open(file).map_err(io("cannot open", file))?;
    let mut archive = tar::Archive::new(opened);
    let mut files = 0;
    let mut found_database = false;
    let entries = archive.entries().map_err(io("cannot read", file))?;
    for entry in entries {
        let mut entry = entry.map_err(io("cannot read", file))?;
        let path = entry.path().map_err(io("cannot read", file))?.into_owned();
        if path == Path::new(DATABASE_ENTRY) {
            entry
                .unpack(&incoming)
                .map_err(io("cannot write", &incoming))?;
            found_database = true;
            continue;
        }
        let inside = path
            .strip_prefix(ATTACHMENTS_ENTRY)
            .ok()
            .filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))));
        let Some(inside) = inside else {
            return Err(ApiError::invalid(
                "FILE",
                "unexpected_entry",
                format!(
                    "{} holds {}: not an omnibridge backup",
                    file.display(),
                    path.display()
                ),
            ));
        };
        let to = attachments.join(inside);
        if entry.header().entry_type().is_dir() {
            fs::create_dir_all(&to).map_err(io("cannot create", &to))?;
            continue;
        }
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        }
        entry.unpack(&to).map_err(io("cannot write", &to))?;
        files += 1;
    }
    if !found_database {
        let _ = fs::remove_file(&incoming);
        return Err(ApiError::invalid(
            "FILE",
            "no_database",
            format!("{} holds no {DATABASE_ENTRY}", file.display()),
        ));
    }
    // The old database's write-ahead log must not be replayed onto the restored one.
    for stale in ["-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{stale}", database.display()));
    }
    fs::rename(&incoming, &database).map_err(io("cannot rename to", &database))?;
    Ok(Restored {
        database: database.display().to_string(),
        attachments: files,
    })
}
