/*
 * keys: SPEC §7 in one file: key names, bucket starts, offset records, and
 * the flush script with the ARGV that feeds it. Core module: no I/O, no
 * clock; the sink sends what this file builds.
 *
 * The flush script takes numkeys 0 and everything in ARGV:
 *
 *   1 prefix  2 host  3 now_ms (unix ms)
 *   nfiles,   then per file:  field, expected ("" = absent), next
 *   nres,     then per bucket resolution: name ("10s"), res_s, retention_s,
 *             ttl_start (the bucket start that already has its TTL, 0: none)
 *   ncells,   then per cell:  start_s, npairs, npairs x (class name, count)
 *   nuncl,    then nuncl x (value, count)
 *   ncloses,  then ncloses x (resolution index, 1-based; start_s)
 *   nstats,   then nstats x (field, value)
 *   nalerts,  then per alert: field ("<class>@<host>"), event ("firing" or
 *             "resolved"), json, nkv, nkv x (stream field, value)
 *   resync    ("1": rewrite this host's `P alerts:active` fields, "0": no)
 *   nactive,  then nactive x (field, json): the host's firing alerts
 *   heartbeat ("1": ZADD `P hosts`, "0": this second's score is there)
 *   stats_ttl ("1": EXPIRE stats:<host>, "0": it has its TTL)
 *
 * SPEC §15: a flush carries only what changed, because with a fleet every
 * call inside the script is paid ten thousand times. The caller says what
 * Redis already holds: which buckets already have a TTL (EXPIRE NX once,
 * not once per flush), whether `P hosts` already has this second, whether
 * the stats hash has its TTL; it sends only the stats fields that changed.
 * A reply of WIPED means Redis lost all that, so the script then gives
 * every bucket it touches its TTL and writes the heartbeat and the stats
 * TTL whatever the caller said (the caller says everything again in the
 * next flush).
 *
 * Only classes with a non-zero count are sent. The script checks the
 * layout of all of ARGV before its first write, because Redis keeps the
 * writes a script made before a runtime error: a malformed ARGV must fail
 * before touching data. It then reads each section in place, copying
 * nothing into tables: every flush of every host pays for what the script
 * does, ten thousand hosts twice a second (SPEC §15).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "base.h"
#include "config.h"
#include "keys.h"
#include "tally.h"

void
argv_add(struct argv *a, const void *p, size_t len)
{
	char *s;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
		a->len = xrealloc(a->len, a->cap * sizeof(*a->len));
	}
	s = xmalloc(len + 1);
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	a->v[a->n] = s;
	a->len[a->n] = len;
	a->n++;
}

void
argv_addstr(struct argv *a, const char *s)
{
	argv_add(a, s, strlen(s));
}

void
argv_addu64(struct argv *a, uint64_t n)
{
	char tmp[24];
	int len;

	len = snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	argv_add(a, tmp, (size_t)len);
}

/* Frees the strings, keeps the arrays for the next command. */
void
argv_reset(struct argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

void
argv_free(struct argv *a)
{
	if (a == NULL)
		return;
	argv_reset(a);
	free(a->v);
	free(a->len);
	a->v = NULL;
	a->len = NULL;
	a->cap = 0;
}

void
keys_name(struct buf *out, const char *prefix, const char *name)
{
	buf_puts(out, prefix);
	buf_puts(out, name);
}

uint64_t
keys_bucket_start(uint64_t t_s, uint64_t res_s)
{
	if (res_s == 0)
		return t_s;
	return t_s - t_s % res_s;
}

/*
 * Plain Lua 5.1 as Redis 7.0 runs it. HGET of a missing field gives false,
 * hence `or ''`. Numbers go back to Redis through string.format('%d') so
 * large values never turn into "1e+15".
 */
static const char flush_script[] =
"-- errwatch flush (SPEC sections 7, 8, 15). numkeys 0, all in ARGV (keys.c).\n"
"local prefix, host, now_ms = ARGV[1], ARGV[2], ARGV[3]\n"
"local now_s = math.floor(tonumber(now_ms) / 1000)\n"
"local call, tonumber, unpack = redis.call, tonumber, unpack\n"
"local function int(n) return string.format('%d', n) end\n"
"\n"
"-- Check the whole layout before the first write, because Redis keeps\n"
"-- what a script wrote before a runtime error. Nothing is copied out of\n"
"-- ARGV: each section is read in place from the index noted here.\n"
"local nargv = #ARGV\n"
"local function bad(what, i)\n"
"  error('errwatch flush: ' .. what .. ' at ARGV[' .. i .. ']')\n"
"end\n"
"local function num(i)\n"
"  local v = tonumber(ARGV[i])\n"
"  if v == nil then bad('number expected', i) end\n"
"  return v\n"
"end\n"
"-- A count at i of items width strings wide that must fit in ARGV.\n"
"local function count(i, width)\n"
"  local c = num(i)\n"
"  if c < 0 or i + c * width > nargv then bad('ARGV too short', i) end\n"
"  return c\n"
"end\n"
"local i = 4\n"
"local nfiles = count(i, 3)\n"
"local files_at = i + 1\n"
"i = files_at + 3 * nfiles\n"
"local nres = count(i, 4)\n"
"local res = {}\n"
"for r = 1, nres do\n"
"  local j = i + 4 * r - 3\n"
"  res[r] = {name = ARGV[j], res_s = num(j + 1), ret_s = num(j + 2),\n"
"    ttl_start = num(j + 3)}\n"
"end\n"
"i = i + 4 * nres + 1\n"
"local ncells = num(i)\n"
"local cells_at = i + 1\n"
"i = cells_at\n"
"for c = 1, ncells do\n"
"  num(i)\n"
"  i = i + 2 + 2 * count(i + 1, 2)\n"
"end\n"
"local nuncl = count(i, 2)\n"
"local uncl_at = i + 1\n"
"i = uncl_at + 2 * nuncl\n"
"local ncloses = count(i, 2)\n"
"local closes_at = i + 1\n"
"for j = closes_at, closes_at + 2 * ncloses - 1, 2 do\n"
"  if res[num(j)] == nil then bad('resolution index', j) end\n"
"  num(j + 1)\n"
"end\n"
"i = closes_at + 2 * ncloses\n"
"local nstats = count(i, 2)\n"
"local stats_at = i + 1\n"
"i = stats_at + 2 * nstats\n"
"local nalerts = num(i)\n"
"local alerts_at = i + 1\n"
"i = alerts_at\n"
"for a = 1, nalerts do\n"
"  i = i + 4 + count(i + 3, 1)\n"
"end\n"
"local resync = num(i) == 1\n"
"local nactive = count(i + 1, 2)\n"
"local active_at = i + 2\n"
"i = active_at + 2 * nactive\n"
"local heartbeat = num(i) == 1\n"
"local stats_ttl = num(i + 1) == 1\n"
"\n"
"-- Compare-and-set of the offsets (SPEC §8).\n"
"local okey = prefix .. 'offsets:' .. host\n"
"local files_end = files_at + 3 * nfiles - 1\n"
"local at_expected, at_next = true, true\n"
"for j = files_at, files_end, 3 do\n"
"  local cur = call('HGET', okey, ARGV[j]) or ''\n"
"  if cur ~= ARGV[j + 1] then at_expected = false end\n"
"  if cur ~= ARGV[j + 2] then at_next = false end\n"
"end\n"
"local reply = 'OK'\n"
"if not at_expected then\n"
"  if at_next then return redis.status_reply('DUP') end\n"
"  if call('EXISTS', okey) == 1 then\n"
"    return redis.status_reply('CONFLICT')\n"
"  end\n"
"  -- Redis lost its state: keep our positions, never recount history.\n"
"  reply = 'WIPED'\n"
"end\n"
"\n"
"for j = files_at, files_end, 3 do\n"
"  call('HSET', okey, ARGV[j], ARGV[j + 2])\n"
"end\n"
"\n"
"-- Counts: totals, this host's totals, one hash per resolution. A bucket\n"
"-- gets its TTL when first touched: the caller names per resolution the\n"
"-- bucket it saw given one, and NX keeps a running TTL. A wiped Redis\n"
"-- lost every TTL with its keys.\n"
"local wiped = reply == 'WIPED'\n"
"local ctotal = prefix .. 'count:total'\n"
"local htotal = prefix .. 'host:' .. host .. ':count:total'\n"
"local function bucket_key(r, start_s)\n"
"  return prefix .. 'count:' .. r.name .. ':' ..\n"
"      int(start_s - start_s % r.res_s)\n"
"end\n"
"local j = cells_at\n"
"for c = 1, ncells do\n"
"  local start_s, npairs = tonumber(ARGV[j]), tonumber(ARGV[j + 1])\n"
"  j = j + 2\n"
"  if npairs > 0 then\n"
"    local bkeys = {}\n"
"    for r = 1, nres do bkeys[r] = bucket_key(res[r], start_s) end\n"
"    for p = j, j + 2 * npairs - 1, 2 do\n"
"      local cls, n = ARGV[p], ARGV[p + 1]\n"
"      call('HINCRBY', ctotal, cls, n)\n"
"      call('HINCRBY', htotal, cls, n)\n"
"      for r = 1, nres do call('HINCRBY', bkeys[r], cls, n) end\n"
"    end\n"
"    for r = 1, nres do\n"
"      local rr = res[r]\n"
"      if wiped or start_s - start_s % rr.res_s ~= rr.ttl_start then\n"
"        call('EXPIRE', bkeys[r], int(rr.ret_s), 'NX')\n"
"      end\n"
"    end\n"
"  end\n"
"  j = j + 2 * npairs\n"
"end\n"
"\n"
"-- Unclassified breakdown, bounded (SPEC §5): 256 fields, then 'other'.\n"
"local ukey = prefix .. 'unclassified'\n"
"for u = uncl_at, uncl_at + 2 * nuncl - 1, 2 do\n"
"  local v = ARGV[u]\n"
"  if call('HEXISTS', ukey, v) == 0 and call('HLEN', ukey) >= 256 then\n"
"    v = 'other'\n"
"  end\n"
"  call('HINCRBY', ukey, v, ARGV[u + 1])\n"
"end\n"
"\n"
"-- Closed buckets into the series streams, once each: the stream's last\n"
"-- generated ID (deleted or trimmed entries included) at or past ours\n"
"-- means this close, or a later one, is already there.\n"
"local function last_id(skey)\n"
"  if call('EXISTS', skey) == 0 then return nil end\n"
"  local info = call('XINFO', 'STREAM', skey)\n"
"  for k = 1, #info - 1, 2 do\n"
"    if info[k] == 'last-generated-id' then\n"
"      local ms, seq = string.match(info[k + 1], '^(%d+)-(%d+)$')\n"
"      return tonumber(ms), tonumber(seq)\n"
"    end\n"
"  end\n"
"  return nil\n"
"end\n"
"for k = closes_at, closes_at + 2 * ncloses - 1, 2 do\n"
"  local r = res[tonumber(ARGV[k])]\n"
"  local skey = prefix .. 'series:' .. r.name\n"
"  local start_s = tonumber(ARGV[k + 1])\n"
"  start_s = start_s - start_s % r.res_s\n"
"  local id_ms = start_s * 1000\n"
"  local ms, seq = last_id(skey)\n"
"  if ms == nil or ms < id_ms or (ms == id_ms and seq < 1) then\n"
"    local h = call('HGETALL', bucket_key(r, start_s))\n"
"    local minid = math.max(0, now_s - r.ret_s) * 1000\n"
"    local args = {skey, 'MINID', '~', int(minid), int(id_ms) .. '-1'}\n"
"    local total = 0\n"
"    for f = 1, #h - 1, 2 do\n"
"      args[#args + 1] = h[f]\n"
"      args[#args + 1] = h[f + 1]\n"
"      total = total + tonumber(h[f + 1])\n"
"    end\n"
"    args[#args + 1] = '_total'\n"
"    args[#args + 1] = int(total)\n"
"    call('XADD', unpack(args))\n"
"  end\n"
"end\n"
"\n"
"-- Alerts (SPEC §7, §9): the stream for the notifier, the channel for\n"
"-- live views, the active hash for dashboards. Applied with the counts,\n"
"-- so a re-sent batch (DUP) never repeats an alert.\n"
"local akey = prefix .. 'alerts'\n"
"j = alerts_at\n"
"for a = 1, nalerts do\n"
"  local field, event, json = ARGV[j], ARGV[j + 1], ARGV[j + 2]\n"
"  local nkv = tonumber(ARGV[j + 3])\n"
"  call('XADD', akey, 'MAXLEN', '~', 10000, '*',\n"
"      unpack(ARGV, j + 4, j + 3 + nkv))\n"
"  call('PUBLISH', akey, json)\n"
"  if event == 'firing' then\n"
"    call('HSET', akey .. ':active', field, json)\n"
"  else\n"
"    call('HDEL', akey .. ':active', field)\n"
"  end\n"
"  j = j + 4 + nkv\n"
"end\n"
"\n"
"-- SPEC 8: after a rollback (CONFLICT, WIPED) Redis again says what is\n"
"-- firing on this host: its fields are exactly the active ones.\n"
"if resync then\n"
"  local activekey = akey .. ':active'\n"
"  local suffix = '@' .. host\n"
"  local active = {}\n"
"  for k = active_at, active_at + 2 * nactive - 1, 2 do\n"
"    active[ARGV[k]] = ARGV[k + 1]\n"
"  end\n"
"  for _, f in ipairs(call('HKEYS', activekey)) do\n"
"    if string.sub(f, -#suffix) == suffix and active[f] == nil then\n"
"      call('HDEL', activekey, f)\n"
"    end\n"
"  end\n"
"  for f, json in pairs(active) do\n"
"    call('HSET', activekey, f, json)\n"
"  end\n"
"end\n"
"\n"
"-- Statistics and the heartbeat: what changed, and the rest when Redis\n"
"-- turned out wiped.\n"
"local skey = prefix .. 'stats:' .. host\n"
"call('HSET', skey, 'last_flush_ms', now_ms,\n"
"    unpack(ARGV, stats_at, stats_at + 2 * nstats - 1))\n"
"if stats_ttl or wiped then\n"
"  call('EXPIRE', skey, 604800)\n"
"end\n"
"if heartbeat or wiped then\n"
"  call('ZADD', prefix .. 'hosts', int(now_s), host)\n"
"end\n"
"return redis.status_reply(reply)\n";

const char *
keys_flush_script(void)
{
	return flush_script;
}

static size_t
cell_pairs(const struct tally *t)
{
	size_t i, n = 0;

	for (i = 0; i < tally_nclasses(t); i++)
		if (tally_get(t, i) > 0)
			n++;
	return n;
}

static uint64_t
ms_to_s(uint64_t ms)
{
	return ms >= 1000 ? ms / 1000 : 1;
}

/* Starts out afresh: whatever out held is dropped. */
void
keys_flush_argv(struct argv *out, const struct flush_meta *m,
    const struct batch *b)
{
	const struct batch_cell *c;
	const struct tally *t;
	const char *v;
	uint64_t n;
	size_t i, j, ncells = 0, nuncl;

	argv_reset(out);
	argv_addstr(out, m->prefix);
	argv_addstr(out, m->host);
	argv_addu64(out, m->now_ms);

	argv_addu64(out, b->noffsets);
	for (i = 0; i < b->noffsets; i++) {
		argv_addstr(out, b->offsets[i].field);
		argv_addstr(out, b->offsets[i].expected);
		argv_addstr(out, b->offsets[i].next);
	}

	argv_addu64(out, m->nbuckets);
	for (i = 0; i < m->nbuckets; i++) {
		argv_addstr(out, m->buckets[i].name);
		argv_addu64(out, ms_to_s(m->buckets[i].res_ms));
		argv_addu64(out, ms_to_s(m->buckets[i].retention_ms));
		argv_addu64(out, m->ttl_start != NULL ? m->ttl_start[i] : 0);
	}

	for (i = 0; i < b->ncells; i++)
		if (cell_pairs(b->cells[i].counts) > 0)
			ncells++;
	argv_addu64(out, ncells);
	for (i = 0; i < b->ncells; i++) {
		c = &b->cells[i];
		if (cell_pairs(c->counts) == 0)
			continue;
		argv_addu64(out, c->start_s);
		argv_addu64(out, cell_pairs(c->counts));
		for (j = 0; j < tally_nclasses(c->counts); j++) {
			if ((n = tally_get(c->counts, j)) == 0)
				continue;
			argv_addstr(out, m->class_names[j]);
			argv_addu64(out, n);
		}
	}

	t = b->uncl;
	nuncl = t != NULL ? tally_uncl_count(t) : 0;
	argv_addu64(out, nuncl);
	for (i = 0; i < nuncl; i++) {
		v = tally_uncl_at(t, i, &n);
		argv_addstr(out, v);
		argv_addu64(out, n);
	}

	argv_addu64(out, b->ncloses);
	for (i = 0; i < b->ncloses; i++) {
		argv_addu64(out, b->closes[i].res + 1);
		argv_addu64(out, b->closes[i].start_s);
	}

	argv_addu64(out, m->nstats);
	for (i = 0; i < m->nstats; i++) {
		argv_addstr(out, m->stat_fields[i]);
		argv_addu64(out, m->stat_values[i]);
	}

	argv_addu64(out, b->nalerts);
	for (i = 0; i < b->nalerts; i++) {
		const struct batch_alert *al = &b->alerts[i];
		size_t k;

		argv_addstr(out, al->field);
		argv_addstr(out, al->firing ? "firing" : "resolved");
		argv_addstr(out, al->json);
		argv_addu64(out, al->nkv);
		for (k = 0; k < al->nkv; k++)
			argv_addstr(out, al->kv[k]);
	}

	argv_addstr(out, m->resync ? "1" : "0");
	argv_addu64(out, m->resync ? m->nactive : 0);
	for (i = 0; m->resync && i < 2 * m->nactive; i++)
		argv_addstr(out, m->active[i]);
	argv_addstr(out, m->heartbeat ? "1" : "0");
	argv_addstr(out, m->stats_ttl ? "1" : "0");
}

/* The fields in SPEC §7's order; num: a JSON number, not a string. */
static void
alert_kv(struct argv *kv, struct buf *json, const char *name,
    const char *value, size_t len, bool num)
{
	argv_addstr(kv, name);
	argv_add(kv, value, len);
	if (json->len > 1)	/* past the "{" */
		buf_puts(json, ",");
	buf_json_str(json, name, strlen(name));
	buf_puts(json, ":");
	if (num)
		buf_append(json, value, len);
	else
		buf_json_str(json, value, len);
}

static void
alert_str(struct argv *kv, struct buf *json, const char *name,
    const char *value)
{
	if (value == NULL)	/* a field the caller left out: "" */
		value = "";
	alert_kv(kv, json, name, value, strlen(value), false);
}

/* A number through buf_num (SPEC §7: `10`, `48.1`). */
static void
alert_num(struct argv *kv, struct buf *json, const char *name, double v)
{
	struct buf tmp = { 0 };

	buf_num(&tmp, v);
	alert_kv(kv, json, name, tmp.p, tmp.len, true);
	buf_free(&tmp);
}

static void
alert_u64(struct argv *kv, struct buf *json, const char *name, uint64_t v)
{
	char tmp[24];
	int len = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	alert_kv(kv, json, name, tmp, (size_t)len, true);
}

void
keys_alert(const struct keys_alert *a, struct buf *field, struct argv *kv,
    struct buf *json)
{
	struct buf id = { 0 };

	argv_reset(kv);
	buf_reset(field);
	buf_reset(json);
	buf_printf(field, "%s@%s", a->name, a->host);
	buf_printf(&id, "%s:%" PRIu64 ":%" PRIu64,
	    a->origin != NULL ? a->origin : a->host, a->run, a->n);
	buf_puts(json, "{");
	alert_str(kv, json, "event", a->firing ? "firing" : "resolved");
	alert_str(kv, json, "id", id.p);
	alert_str(kv, json, "name", a->name);
	if (a->code >= 0)
		alert_num(kv, json, "code", a->code);
	else
		alert_kv(kv, json, "code", "null", 4, true);
	alert_str(kv, json, "category", a->category);
	alert_str(kv, json, "severity", a->severity);
	alert_str(kv, json, "host", a->host);
	alert_str(kv, json, "rule", a->rule);
	alert_str(kv, json, "match", a->match != NULL ? a->match : "");
	alert_u64(kv, json, "window_s", a->window_s);
	alert_u64(kv, json, "count", a->count);
	alert_num(kv, json, "baseline", a->baseline);
	alert_num(kv, json, "threshold", a->threshold);
	alert_u64(kv, json, "ts", a->ts_ms);
	alert_str(kv, json, "scope", a->scope != NULL ? a->scope : "host");
	buf_puts(json, "}");
	buf_free(&id);
}

void
keys_offset_field(struct buf *out, uint64_t dev, uint64_t ino)
{
	buf_printf(out, "%" PRIu64 ":%" PRIu64, dev, ino);
}

void
keys_offset_value(struct buf *out, const struct offset_rec *r)
{
	buf_printf(out, "%" PRIu64 " %" PRIu32 " %016" PRIx64 " %016" PRIx64
	    " %" PRIu64 " %s", r->offset, r->fp_len, r->fp_hash, r->tail_hash,
	    r->seen_s, r->path);
}

/* Decimal digits (no sign, no blanks, no overflow) through the one
 * parser; *s moves past them. Returns 0 or -1. */
static int
parse_dec(const char **s, uint64_t *out)
{
	size_t n = ew_parse_dec(*s, SIZE_MAX, UINT64_MAX, out);

	if (n == 0)
		return -1;
	*s += n;
	return 0;
}

/* Exactly 16 hex digits; *s moves past them. Returns 0 or -1. */
static int
parse_hex16(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	unsigned d;
	int i;

	for (i = 0; i < 16; i++, p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	*s = p;
	return 0;
}

static int
expect_char(const char **s, char c)
{
	if (**s != c)
		return -1;
	(*s)++;
	return 0;
}

/* The path is the last field and runs to the end of the string, so it may
 * hold spaces. r is only written on success. */
int
keys_offset_parse(const char *field, const char *value, struct offset_rec *r)
{
	struct offset_rec tmp;
	const char *p;
	uint64_t fp_len;
	size_t plen;

	memset(&tmp, 0, sizeof(tmp));
	if (field == NULL || value == NULL)
		return -1;
	p = field;
	if (parse_dec(&p, &tmp.dev) < 0 || expect_char(&p, ':') < 0 ||
	    parse_dec(&p, &tmp.ino) < 0 || *p != '\0')
		return -1;
	p = value;
	if (parse_dec(&p, &tmp.offset) < 0 || expect_char(&p, ' ') < 0 ||
	    parse_dec(&p, &fp_len) < 0 || fp_len > UINT32_MAX ||
	    expect_char(&p, ' ') < 0 ||
	    parse_hex16(&p, &tmp.fp_hash) < 0 || expect_char(&p, ' ') < 0 ||
	    parse_hex16(&p, &tmp.tail_hash) < 0 || expect_char(&p, ' ') < 0 ||
	    parse_dec(&p, &tmp.seen_s) < 0 || expect_char(&p, ' ') < 0)
		return -1;
	plen = strlen(p);
	if (plen == 0 || plen >= sizeof(tmp.path))
		return -1;
	memcpy(tmp.path, p, plen + 1);
	tmp.fp_len = (uint32_t)fp_len;
	*r = tmp;
	return 0;
}

/*
 * The lease and the lone event (SPEC §13): errwatch-alerts' writes. The
 * event script does what the flush script does for one alert, guarded by
 * the lease, so an instance that lost the lease a moment ago never writes
 * a fleet or silence event beside the new holder's.
 */
static const char lease_script[] =
"-- errwatch fleet lease (SPEC 13). ARGV: key, instance, ms.\n"
"local key, inst, ms = ARGV[1], ARGV[2], ARGV[3]\n"
"local cur = redis.call('GET', key)\n"
"if cur == inst then\n"
"  redis.call('PEXPIRE', key, ms)\n"
"  return 1\n"
"end\n"
"if cur then return 0 end\n"
"redis.call('SET', key, inst, 'NX', 'PX', ms)\n"
"return 2\n";

static const char event_script[] =
"-- errwatch lone alert event (SPEC 7, 13). ARGV: prefix, lease key,\n"
"-- instance, field, event, json, then the stream's pairs.\n"
"local prefix, lkey, inst = ARGV[1], ARGV[2], ARGV[3]\n"
"local field, event, json = ARGV[4], ARGV[5], ARGV[6]\n"
"if #ARGV < 8 or #ARGV % 2 ~= 0 then\n"
"  error('errwatch event: bad ARGV')\n"
"end\n"
"if redis.call('GET', lkey) ~= inst then return 0 end\n"
"local kv = {}\n"
"for j = 7, #ARGV do kv[#kv + 1] = ARGV[j] end\n"
"local akey = prefix .. 'alerts'\n"
"redis.call('XADD', akey, 'MAXLEN', '~', 10000, '*', unpack(kv))\n"
"redis.call('PUBLISH', akey, json)\n"
"if event == 'firing' then\n"
"  redis.call('HSET', akey .. ':active', field, json)\n"
"else\n"
"  redis.call('HDEL', akey .. ':active', field)\n"
"end\n"
"return 1\n";

const char *
keys_lease_script(void)
{
	return lease_script;
}

const char *
keys_event_script(void)
{
	return event_script;
}

void
keys_event_argv(struct argv *out, const char *prefix, const char *lease_key,
    const char *instance, const struct keys_alert *a)
{
	struct buf field = { 0 }, json = { 0 };
	struct argv kv = { 0 };
	size_t i;

	keys_alert(a, &field, &kv, &json);
	argv_reset(out);
	argv_addstr(out, prefix);
	argv_addstr(out, lease_key);
	argv_addstr(out, instance);
	argv_add(out, field.p, field.len);
	argv_addstr(out, a->firing ? "firing" : "resolved");
	argv_add(out, json.p, json.len);
	for (i = 0; i < kv.n; i++)
		argv_add(out, kv.v[i], kv.len[i]);
	buf_free(&field);
	buf_free(&json);
	argv_free(&kv);
}
