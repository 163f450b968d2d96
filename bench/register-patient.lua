-- wrk script: as register.lua, but a connection answered 503 waits out its
-- Retry-After before it sends again, as a patient client does (RFC 9110
-- section 10.2.3). Without it, the connections the hashing line turns away
-- retry at once, tens of thousands of times a second, and the run measures
-- how fast dcr answers 503 rather than how many registrations it stores.
dofile("bench/register.lua")

local wait_ms = 0

-- wrk calls response() and then delay() for the same connection, one after
-- the other, so one variable per thread carries the wait between them.
function response(status, headers, body)
    if status == 503 then
        local after = tonumber(headers["retry-after"] or headers["Retry-After"]) or 1
        wait_ms = after * 1000
    else
        wait_ms = 0
    end
end

function delay()
    return wait_ms
end
