"""Sends exactly N of load.sh's messages (multipart notifyUserNewChatMessage, a new chat every
10 messages), C at a time, each connection's chats one after another; exits non-zero if any
answer is not 200. Usage: send_messages.py URL API_KEY CHAT_ACCOUNT_TOKEN N C"""
import http.client
import sys
import threading
import urllib.parse

url, key, token, total, lanes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
target = urllib.parse.urlparse(url)
BOUNDARY = "omnibridgebench"
failed = []


def part(name, value):
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'


def lane(n):
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
    for i in range(n, total, lanes):
        chat = (i // lanes) // 10 * lanes + n
        body = (part("chatServer", "chat.example.com")
                + part("chatSessionID", f"bench-count-{chat:08d}")
                + part("chatAccountToken", token)
                + part("message", f"Hello, this is benchmark message number {i} of count")
                + f"--{BOUNDARY}--\r\n")
        conn.request("POST", "/api/v2/chat/notifyUserNewChatMessage", body.encode(),
                     {"apiKey": key, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            failed.append(answer.status)


threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failed:
    sys.exit(f"{len(failed)} answers were not 200: {sorted(set(failed))}")
