#!/usr/bin/python3
"""The agent console in a real browser: headless Chromium driven by Selenium, against the
real server (the debug binary) on a fresh database, with a fake chat server that records what
omnibridge calls back.

    /usr/bin/python3 tests/browser/console.py [--screenshots DIR]
    OMNIBRIDGE_TEST_POSTGRES=postgres://... /usr/bin/python3 tests/browser/console.py

It needs Debian's chromium, chromium-driver and python3-selenium (.ci/test installs them) and
a built `target/debug/omnibridge`. Whatever it starts it stops by process id.
"""

import argparse
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.error
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTILE = "<img src=x onerror=alert(1)>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChatServer(http.server.ThreadingHTTPServer):
    """Records every call omnibridge makes back to the chat server."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), ChatServerHandler)

    def calls_to(self, path):
        with self.lock:
            return [body for p, body in self.calls if p.endswith(path)]


class ChatServerHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with self.server.lock:
            self.server.calls.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"success"}')

    def log_message(self, *args):
        pass


def database_url(workdir):
    base = os.environ.get("OMNIBRIDGE_TEST_POSTGRES")
    if not base:
        return os.path.join(workdir, "console.db"), None
    name = "omnibridge_browser_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", "-w", base.rstrip("/") + "/postgres", "-qc", f"CREATE DATABASE {name}"],
                   check=True)
    return base.rstrip("/") + "/" + name, name


def drop_database(name):
    base = os.environ["OMNIBRIDGE_TEST_POSTGRES"].rstrip("/")
    subprocess.run(["psql", "-w", base + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=False)


def start_server(workdir, db_url, port):
    env = dict(os.environ,
               OMNIBRIDGE__SERVER__PORT=str(port),
               OMNIBRIDGE__DATABASE__URL=db_url,
               OMNIBRIDGE__ATTACHMENTS__DIR=os.path.join(workdir, "files"),
               OMNIBRIDGE__MAIL__DIR=os.path.join(workdir, "mail"),
               OMNIBRIDGE__DELIVERY__POLL_INTERVAL_MS="100",
               OMNIBRIDGE__SERVER__STREAM_HEARTBEAT_SECONDS="2",
               RUST_LOG="warn")
    binary = os.path.join(ROOT, "target", "debug", "omnibridge")
    server = subprocess.Popen([binary, "serve", "--demo"], env=env, cwd=workdir,
                              stdout=subprocess.PIPE, stderr=open(os.path.join(workdir, "server.log"), "w"),
                              text=True)
    demo = json.loads(server.stdout.readline())
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return server, demo
        except OSError:
            if server.poll() is not None:
                raise SystemExit("omnibridge exited: see " + os.path.join(workdir, "server.log"))
            time.sleep(0.1)
    raise SystemExit("omnibridge did not answer /health")


MESSAGE_NUMBERS = iter(range(1, 51))


def post_chat_message(base, demo, chat_server, session_id, text):
    """notifyUserNewChatMessage, as a chat server sends it: multipart/form-data."""
    return post_chat(base, demo, "notifyUserNewChatMessage", {
        "chatServer": chat_server,
        "chatSessionID": session_id,
        "chatAccountToken": demo["chatAccountToken"],
        "message": text,
        "messageNumber": str(next(MESSAGE_NUMBERS)),
        "customerName": "Ada Lovelace",
        "emailAddress": "ada@example.com",
        "url": "https://shop.example.com/orders",
    })["ticketID"]


def post_chat(base, demo, endpoint, fields):
    boundary = "----omnibridge" + uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{base}/api/v2/chat/{endpoint}", data=body, method="POST",
        headers={"apiKey": demo["apiKey"], "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        return json.load(urllib.request.urlopen(request))
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{endpoint}: {e.code} {e.read().decode()}")


def post_mail(base, demo, raw):
    """A customer's mail, as a mail relay hands it over: POST /api/v2/email/inbound."""
    request = urllib.request.Request(
        f"{base}/api/v2/email/inbound", data=raw.encode(), method="POST",
        headers={"apiKey": demo["apiKey"], "Content-Type": "message/rfc822"})
    try:
        return json.load(urllib.request.urlopen(request))["item"]
    except urllib.error.HTTPError as e:
        raise AssertionError(f"email/inbound: {e.code} {e.read().decode()}")


def api_json(base, demo, method, path, body):
    request = urllib.request.Request(
        f"{base}/api/v2/{path}", data=json.dumps(body).encode(), method=method,
        headers={"apiKey": demo["apiKey"], "Content-Type": "application/json"})
    try:
        return json.load(urllib.request.urlopen(request))["item"]
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{method} {path}: {e.code} {e.read().decode()}")


def api_ticket(base, demo, ticket_id):
    request = urllib.request.Request(f"{base}/api/v2/ticket/{ticket_id}", headers={"apiKey": demo["apiKey"]})
    return json.load(urllib.request.urlopen(request))["item"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--lang=en-US"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok -", what)


def run(base, demo, chat, recorder, shots):
    driver = browser()
    # Live regions are swapped under the test's feet: a stale element is looked up again.
    wait = WebDriverWait(driver, 20, ignored_exceptions=(StaleElementReferenceException,))

    def click_and_load(element):
        """Clicks what submits or follows, and waits for the next page."""
        driver.execute_script("window.beforeClick = true;")
        element.click()
        wait.until(lambda d: d.execute_script(
            "return window.beforeClick === undefined && document.readyState === 'complete';"))

    def shot(name):
        if shots:
            driver.save_screenshot(os.path.join(shots, name + ".png"))

    try:
        # Five wrong passwords for an account, and the sixth try is refused whatever it is.
        driver.get(base + "/login")
        shot("sign-in")
        for _ in range(5):
            driver.find_element(By.ID, "email").clear()
            driver.find_element(By.ID, "email").send_keys("nobody@demo.example")
            driver.find_element(By.ID, "password").send_keys("not the password")
            click_and_load(driver.find_element(By.ID, "sign-in"))
            check("Wrong e-mail or password" in wait.until(
                EC.presence_of_element_located((By.ID, "login-error"))).text,
                "a wrong password is refused without saying whether the e-mail exists")
        driver.find_element(By.ID, "password").send_keys("not the password")
        click_and_load(driver.find_element(By.ID, "sign-in"))
        check("Too many wrong passwords" in driver.find_element(By.ID, "login-error").text,
              "the sixth try after five wrong passwords is limited")

        # Sign in.
        driver.find_element(By.ID, "email").clear()
        driver.find_element(By.ID, "email").send_keys(demo["agentEmail"])
        driver.find_element(By.ID, "password").send_keys(demo["agentPassword"])
        click_and_load(driver.find_element(By.ID, "sign-in"))
        wait.until(EC.presence_of_element_located((By.ID, "queue")))
        check(driver.title.startswith("Queue"), "the demo agent signs in and sees the queue")
        cookie = driver.get_cookie("omnibridge_session")
        check(cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Lax",
              "the session cookie is HttpOnly and SameSite=Lax")

        # An agent group, for the ticket page to offer.
        support = api_json(base, demo, "POST", "group", {"name": "Support"})["id"]

        # A chat arrives through the chat API and shows in the queue without a reload.
        marker = driver.execute_script("window.notReloaded = true; return 1;")
        ticket = post_chat_message(base, demo, chat, "browser-session-0001",
                                   "Hello, my order 4711 has not arrived")
        wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f'#queue a[href="/tickets/{ticket}"]')))
        check(driver.execute_script("return window.notReloaded === true;") and marker == 1,
              "a new chat appears in the queue without a reload")
        check("waiting" in driver.find_element(By.CSS_SELECTOR, "#queue .wait").text,
              "the waiting chat shows its ticking wait")
        post_chat_message(base, demo, chat, "browser-session-0001", HOSTILE)
        post_chat(base, demo, "notifyUserVisited", {
            "chatServer": chat, "chatSessionID": "browser-session-0001",
            "url": "https://shop.example.com/orders/4711"})
        shot("queue")

        # Open it; the hostile message is text.
        click_and_load(driver.find_element(By.CSS_SELECTOR, f'#queue a[href="/tickets/{ticket}"]'))
        wait.until(EC.presence_of_element_located((By.ID, "timeline")))
        texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#timeline .text")]
        check(HOSTILE in texts, "a customer's <img onerror> shows as text")
        check(not driver.find_elements(By.CSS_SELECTOR, '#timeline img[src="x"]'),
              "and is no element")
        try:
            driver.switch_to.alert
            raise AssertionError("the hostile message ran a script")
        except NoAlertPresentException:
            print("ok - and runs nothing")
        check(driver.find_element(By.ID, "customer-name").text == "Ada Lovelace",
              "the customer panel names the customer")
        check("shop.example.com/orders" in driver.find_element(By.CSS_SELECTOR, ".visited").text,
              "and lists the pages they visited")

        # Reply on the chat: it reaches the chat server.
        driver.find_element(By.ID, "reply-text").send_keys("Sorry about that! It ships today.")
        click_and_load(driver.find_element(By.ID, "send"))
        wait.until(lambda d: any("It ships today" in e.text
                                 for e in d.find_elements(By.CSS_SELECTOR, "#timeline .entry.agent")))
        deadline = time.time() + 15
        while time.time() < deadline and not any(
                "It ships today" in body for body in recorder.calls_to("/messageForCustomer")):
            time.sleep(0.1)
        check(any("It ships today" in body for body in recorder.calls_to("/messageForCustomer")),
              "the reply reaches the chat server")
        check(any("startedtyping" in body for body in recorder.calls_to("/typingIndicatorForCustomer")),
              "the agent's typing reached the chat server")

        # An internal note.
        driver.find_element(By.CSS_SELECTOR, 'input[name="channel"][value="note"]').click()
        driver.find_element(By.ID, "reply-text").send_keys("Checked with the warehouse.")
        click_and_load(driver.find_element(By.ID, "send"))
        wait.until(lambda d: any("warehouse" in e.text
                                 for e in d.find_elements(By.CSS_SELECTOR, "#timeline .entry.note")))
        check(not any("warehouse" in body for body in recorder.calls_to("/messageForCustomer")),
              "a note is kept apart and never sent to the customer")

        # Assign to me, then set the status.
        click_and_load(driver.find_element(By.CSS_SELECTOR, "#assign-me button"))
        wait.until(lambda d: d.find_element(By.ID, "assignee").text == "Demo Agent")
        check(api_ticket(base, demo, ticket)["assigned_user_id"] is not None, "assigned to me")
        Select(driver.find_element(By.ID, "group-to")).select_by_visible_text("Support")
        click_and_load(driver.find_element(By.CSS_SELECTOR, "#group-form button"))
        wait.until(lambda d: d.find_elements(By.ID, "group") and d.find_element(By.ID, "group").text == "Support")
        check(api_ticket(base, demo, ticket)["assigned_group_id"] == support
              and driver.find_element(By.ID, "assignee").text == "Demo Agent",
              "sent to the Support group, still assigned to me")
        check(any("sent it to the group Support" in e.text
                  for e in driver.find_elements(By.CSS_SELECTOR, "#timeline .entry")),
              "the timeline says who sent it to which group")
        Select(driver.find_element(By.CSS_SELECTOR, "#status-form select")).select_by_value("pending")
        click_and_load(driver.find_element(By.CSS_SELECTOR, "#status-form button"))
        wait.until(lambda d: d.find_element(By.ID, "ticket-status").text == "pending")
        check(api_ticket(base, demo, ticket)["status"] == "pending", "the status is pending")
        shot("ticket")

        # The customer's typing shows on the open ticket.
        post_chat(base, demo, "notifyUserNewChatEvent", {
            "chatServer": chat, "chatSessionID": "browser-session-0001", "event": "startedtyping"})
        wait.until(lambda d: d.find_element(By.ID, "typing").is_displayed())
        check(True, "the customer's typing shows without a reload")

        # A new customer message appears in the open ticket without a reload.
        driver.execute_script("window.notReloaded = true;")
        post_chat_message(base, demo, chat, "browser-session-0001", "Thank you, see you")
        wait.until(lambda d: any("see you" in e.text for e in d.find_elements(By.CSS_SELECTOR, "#timeline .text")))
        check(driver.execute_script("return window.notReloaded === true;"),
              "a new message appears in the open ticket without a reload")

        # A form posted without its CSRF token is refused, and changes nothing.
        driver.execute_script(
            "const f = document.createElement('form'); f.method = 'post';"
            f"f.action = '/tickets/{ticket}/status';"
            "const s = document.createElement('input'); s.name = 'status'; s.value = 'closed';"
            "f.appendChild(s); document.body.appendChild(f); f.submit();")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1") and d.find_element(By.CSS_SELECTOR, "h1").text == "403")
        check(api_ticket(base, demo, ticket)["status"] == "pending",
              "a form without its CSRF token is refused (403) and changes nothing")

        # Search, from the keyboard: '/' focuses the search box.
        driver.get(base + "/")
        wait.until(EC.presence_of_element_located((By.ID, "queue")))
        driver.find_element(By.TAG_NAME, "body").send_keys("/")
        check(driver.switch_to.active_element.get_attribute("id") == "search", "'/' focuses the search")
        driver.switch_to.active_element.send_keys("4711", Keys.ENTER)
        wait.until(EC.presence_of_element_located((By.ID, "list")))
        check(bool(driver.find_elements(By.CSS_SELECTOR, f'#list a[href="/tickets/{ticket}"]')),
              "searching finds the ticket by a word of its messages")
        shot("search")
        driver.get(base + "/admin")
        wait.until(EC.presence_of_element_located((By.ID, "keys")))
        check("Demo Agent" in driver.find_element(By.ID, "agents").text,
              "the administration lists the agents")
        shot("admin")

        # The chat account's JivoChat webhook URL, and a new one in its place.
        click_and_load(driver.find_element(By.CSS_SELECTOR, 'a[href^="/admin/chat-accounts/"]'))
        old_url = driver.find_element(By.ID, "webhook-url").text
        check("/api/v2/jivochat/" in old_url, "the chat account page shows its JivoChat webhook URL")
        click_and_load(driver.find_element(By.ID, "rotate-webhook"))
        check(driver.find_element(By.ID, "webhook-url").text not in ("", old_url),
              "'New webhook URL' replaces it")

        # Its new chats go to the Support group: the next chat's ticket is the group's.
        Select(driver.find_element(By.ID, "group")).select_by_visible_text("Support")
        click_and_load(driver.find_element(By.ID, "save-chat-account"))
        check(Select(driver.find_element(By.ID, "group")).first_selected_option.text == "Support",
              "the chat account's new chats go to the Support group")
        shot("chat-account")
        routed = post_chat_message(base, demo, chat, "browser-session-0002", "Hello from a new chat")
        check(api_ticket(base, demo, routed)["assigned_group_id"] == support,
              "and a new chat's ticket is the group's")

        # The customer answers by e-mail, naming the ticket: the mail lands on it, its quoted
        # history folded; and the chat can be followed up by e-mail.
        outcome = post_mail(base, demo, (
            "From: Ada Lovelace <ada@example.com>\r\nTo: support@example.com\r\n"
            f"Subject: Re: Your chat [#{ticket}]\r\nMessage-ID: <browser-answer-1@example.com>\r\n\r\n"
            "One more thing: can you gift-wrap it?\r\n\r\n"
            "On Monday, Acme Support wrote:\r\n> Your order ships today.\r\n"))
        check(outcome["ticketID"] == ticket and outcome["outcome"] == "appended",
              "a customer's e-mail answer lands on its ticket")
        driver.get(base + f"/tickets/{ticket}")
        wait.until(lambda d: any("gift-wrap" in e.text for e in d.find_elements(By.CSS_SELECTOR, "#timeline .text")))
        quoted = driver.find_element(By.CSS_SELECTOR, "#timeline details.quoted")
        check(not quoted.find_element(By.CSS_SELECTOR, ".text").is_displayed(), "its quoted history is folded")
        quoted.find_element(By.TAG_NAME, "summary").click()
        wait.until(lambda d: quoted.find_element(By.CSS_SELECTOR, ".text").is_displayed())
        check("Your order ships today." in quoted.text, "and unfolds with a click")
        check(bool(driver.find_elements(By.CSS_SELECTOR, 'input[name="channel"][value="email"]')),
              "the chat can be answered by e-mail")
        quoted.location_once_scrolled_into_view
        shot("ticket-mail")
        driver.set_window_size(390, 844)
        driver.get(base + f"/tickets/{ticket}")
        wait.until(EC.presence_of_element_located((By.ID, "timeline")))
        shot("ticket-phone")
        width = driver.execute_script("return document.documentElement.scrollWidth;")
        check(width <= 400, f"the ticket page fits a phone's width ({width}px)")
        driver.set_window_size(1280, 900)

        # The refused sign-ins and the refused form are expected network errors; a script
        # error or a blocked inline script or style is not.
        errors = [entry for entry in driver.get_log("browser")
                  if entry["level"] == "SEVERE" and entry.get("source") != "network"]
        check(not errors, f"no script errors or CSP violations in the console: {errors}")
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", help="a folder for screenshots of the main screens")
    args = parser.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    chat = ChatServer()
    threading.Thread(target=chat.serve_forever, daemon=True).start()
    chat_base = f"http://127.0.0.1:{chat.server_address[1]}"
    with tempfile.TemporaryDirectory() as workdir:
        db_url, pg_name = database_url(workdir)
        port = free_port()
        server, demo = start_server(workdir, db_url, port)
        try:
            run(f"http://127.0.0.1:{port}", demo, chat_base, chat, args.screenshots)
        except Exception:
            sys.stdout.write(open(os.path.join(workdir, "server.log")).read()[-4000:])
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            chat.shutdown()
            if pg_name:
                drop_database(pg_name)
    print("browser tests passed")


if __name__ == "__main__":
    main()
