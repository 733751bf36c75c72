-- wrk script of scripts/bench/callbacks.sh: cycles through pre-signed callbacks from
-- the file given after `--`, one a line: query string, a tab, the body. With a second
-- argument PATH it sends `GET PATH` instead, as often, with the same work per request
-- in wrk (the same tool against a trivial endpoint: what wrk itself can do).
local paths, bodies, n, i = {}, {}, 0, 0
init = function(args)
  for line in io.lines(args[1]) do
    local q, body = line:match("^([^\t]*)\t(.*)$")
    n = n + 1
    if args[2] then
      paths[n] = args[2]
    else
      paths[n] = "/wecom/callback?" .. q
      bodies[n] = body
    end
  end
  if args[2] then
    wrk.method = "GET"
  end
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
request = function()
  i = i % n + 1
  return wrk.format(nil, paths[i], nil, bodies[i])
end
