-- wrk script of scripts/bench/pipeline.sh: sends each pre-signed callback of the file
-- given after `--` once (one a line: query string, a tab, the body; `-- FILE [PATH]`),
-- then stops when every one has been answered, and prints how they were answered:
--   burst: N callbacks, 200 A, 503 B, other C, unanswered D, in S s
-- (503: the server's inbox queue was full, its back-pressure; WeCom would send those
-- again). With a second argument PATH it sends `GET PATH` as many times instead (the
-- same tool against a trivial endpoint). Run it with -t1 and a long -d: it stops by
-- itself (the thread, then wrk's main sleep with the SIGINT wrk takes as "stop"); -t1
-- only (wrk checks the first thread's request).
-- Once the file is used up a connection sends `GET /bench-filler` (a 404 nothing else
-- answers) once a second until the last callbacks are answered; those are not
-- counted. A request lost with its connection is never answered: 31 s after the last
-- one was sent (wrk's --timeout is 30 s) it stops anyway and counts the rest
-- unanswered.
local paths, bodies, i, get, stopped, filler, used_up = {}, {}, 0, nil, false, nil, nil
n, ok, full, other = 0, 0, 0, 0 -- globals: done() reads them through the thread
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  get = args[2]
  -- Made here, once wrk has set the Host header.
  filler = wrk.format("GET", "/bench-filler", nil, nil)
  for line in io.lines(args[1]) do
    local q, body = line:match("^([^\t]*)\t(.*)$")
    n = n + 1
    paths[n] = "/wecom/callback?" .. q
    bodies[n] = body
  end
end

wrk.headers["Content-Type"] = "text/xml"

-- A connection with nothing left to send asks for a filler once a second.
delay = function()
  if i >= n then
    return 1000
  end
  return 0
end

local verified = false
request = function()
  -- wrk calls this once after init() to check the request (and never sends that
  -- one): answered without using up a line.
  if not verified then
    verified = true
    return wrk.format("GET", "/", nil, nil)
  end
  if i >= n then
    used_up = used_up or os.time()
    return filler
  end
  i = i + 1
  if get then
    return wrk.format("GET", get, {}, nil)
  end
  return wrk.format("POST", paths[i], nil, bodies[i])
end

local function stop()
  if not stopped then
    stopped = true
    wrk.thread:stop()
    -- wrk's main thread sleeps for -d unless SIGINT wakes it. system() ignores SIGINT
    -- until the shell is done, so the shell sends it a moment later, from behind.
    os.execute("w=$PPID; (sleep 0.2; kill -INT $w) >/dev/null 2>&1 &")
  end
end

response = function(status, headers, body)
  if status == 404 then
    -- wrk gives up waiting for an answer after --timeout (30 s): a callback still
    -- unanswered then was lost with its connection.
    if used_up and os.time() - used_up > 31 then
      stop()
    end
    return
  elseif status == 200 then
    ok = ok + 1
  elseif status == 503 then
    full = full + 1
  else
    other = other + 1
  end
  if ok + full + other >= n then
    stop()
  end
end

done = function(summary, latency, requests)
  local t = threads[1]
  local sent, a, b, c = t:get("n"), t:get("ok"), t:get("full"), t:get("other")
  io.write(string.format("burst: %d callbacks, 200 %d, 503 %d, other %d, unanswered %d, in %.2f s\n",
    sent, a, b, c, sent - a - b - c, summary.duration / 1e6))
end
