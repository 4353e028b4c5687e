// Compare-and-X scripts: one atomic round trip each, and no WATCH, which would need a connection
// of its own (ioredis multiplexes every caller over one). EVAL hands the script body each time;
// they are a few hundred bytes, and Redis caches them by hash.
export const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else redis.call('SET', KEYS[1], ARGV[3]) end
return 1`;
export const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
export const COMPARE_AND_EXPIRE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
redis.call('PERSIST', KEYS[1])
return 1`;
// INCRBY, undone in the same atomic step when the result leaves the range a JavaScript number
// holds exactly, so a caller never gets an inexact answer and the stored value never changes.
// The answer is text: a Lua number on its way to an integer reply can lose the last digit.
export const INCREMENT_SAFELY = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value > 9007199254740991 or value < -9007199254740991 then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return redis.error_reply('LARDER_OUT_OF_RANGE')
end
return redis.call('GET', KEYS[1])`;
// GET, and when the value starts with the tagged-entry mark (ARGV[1]; see lib/tags/tagged-payload.ts:
// the mark, the header's length as a big-endian uint32, a JSON header [tag keys, tokens]), an MGET
// of the tag keys its header names, at the same moment. Answers nil for a missing key, {value} for
// an untagged one (or a header it cannot read, or one naming over 1,000 tags: Lua's unpack has a
// limit; the client then reads the tags itself), {value, tokens} for a tagged one. The tag keys are
// not declared in KEYS: a single node runs it, a Cluster (where they live in another slot) cannot.
export const GET_WITH_TAGS = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
if string.sub(value, 1, 4) ~= ARGV[1] or string.len(value) < 8 then return {value} end
local length = struct.unpack('>I4', value, 5)
local ok, header = pcall(cjson.decode, string.sub(value, 9, 8 + length))
if not ok or type(header) ~= 'table' or type(header[1]) ~= 'table' or #header[1] == 0 or #header[1] > 1000 then
  return {value}
end
for _, key in ipairs(header[1]) do
  if type(key) ~= 'string' then return {value} end
end
return {value, redis.call('MGET', unpack(header[1]))}`;
