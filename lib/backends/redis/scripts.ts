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
