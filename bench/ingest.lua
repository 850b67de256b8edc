-- wrk script for the ingest bench: POST a new complaint per request, with a bearer token.
-- INGEST_TOKEN is the token; INGEST_OUTLETS a comma-separated list of outlet codes to cycle through.
local token = os.getenv("INGEST_TOKEN") or ""
local outlets = {}
for code in string.gmatch(os.getenv("INGEST_OUTLETS") or "BJ-HD-01", "[^,]+") do
  outlets[#outlets + 1] = code
end
local categories = {"service_quality", "business_operation", "financial_crime", "anonymous"}
local n = 0
local thread_tag = tostring(math.random(1, 1000000))

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

request = function()
  n = n + 1
  local body = string.format(
    '{"outlet":"%s","channel":"walk_in","category":"%s","summary":"bench %s-%d"}',
    outlets[n % #outlets + 1], categories[n % #categories + 1], thread_tag, n
  )
  return wrk.format(nil, "/api/v1/complaints", nil, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non_2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors, summary.errors.status
  ))
end
