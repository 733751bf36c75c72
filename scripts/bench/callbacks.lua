-- wrk script of scripts/bench/callbacks.sh: cycles through pre-signed callbacks from
-- the file given after `--`, one a line: query string, a tab, the body.
local paths, bodies, n, i = {}, {}, 0, 0
init = function(args)
  for line in io.lines(args[1]) do
    local q, body = line:match("^([^\t]*)\t(.*)$")
    n = n + 1
    paths[n] = "/wecom/callback?" .. q
    bodies[n] = body
  end
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
request = function()
  i = i % n + 1
  return wrk.format(nil, paths[i], nil, bodies[i])
end
