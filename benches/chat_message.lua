-- wrk script: multipart notifyUserNewChatMessage across many chat sessions, a new session
-- every 10 messages. Env: OB_API_KEY, OB_TOKEN, OB_RUN (unique per run: the message's text
-- ends with it, so a run's stored messages can be counted), OB_DELAY_MS (pacing per connection;
-- 0 = as fast as possible), OB_INVALID=1 (the same body with a chatSessionID too short: parsed,
-- the key checked, validated, answered 400, never stored), OB_PER_CHAT (messages per chat
-- session, default 10; 1 = every message opens a new chat, which waits in the queue), OB_LANES
-- (default 1: a thread's next messages all go to the same chat, so a chat's messages arrive
-- at once, its first ones racing to open it; N = the thread's connections: its N requests in
-- flight go to N different chats, and each chat's messages come one after another, as a chat
-- server sends them).
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  api_key = os.getenv("OB_API_KEY")
  token = os.getenv("OB_TOKEN")
  run = os.getenv("OB_RUN") or "r"
  pause = tonumber(os.getenv("OB_DELAY_MS") or "0")
  invalid = os.getenv("OB_INVALID") == "1"
  per_chat = tonumber(os.getenv("OB_PER_CHAT") or "10")
  lanes = tonumber(os.getenv("OB_LANES") or "1")
  boundary = "omnibridgebench"
end

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

function request()
  counter = counter + 1
  local lane = counter % lanes
  local chat = math.floor(math.floor(counter / lanes) / per_chat) * lanes + lane
  local session = string.format("bench-%s-%d-%08d", run, tid, chat)
  if invalid then
    session = "short"
  end
  local body = part("chatServer", "chat.example.com")
    .. part("chatSessionID", session)
    .. part("chatAccountToken", token)
    .. part("message", "Hello, this is benchmark message number " .. counter .. " of " .. run)
    .. "--" .. boundary .. "--\r\n"
  local headers = {
    ["apiKey"] = api_key,
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }
  return wrk.format("POST", "/api/v2/chat/notifyUserNewChatMessage", headers, body)
end

function delay()
  return pause
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
