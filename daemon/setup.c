/*
 * setup: config, table, matchers and rule checks in one step, the place
 * where config and table meet (the class limit, rules naming classes).
 * Owns what it loads; a failed load leaves nothing behind.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "cli.h"
#include "config.h"
#include "match.h"
#include "setup.h"
#include "table.h"

const char *
setup_config_path(const char *cli)
{
	return cli_config_path(cli);	/* the one rule, in cli */
}

/* sec: "alerts" or "alerts.fleet": the fleet's rules name the same
 * classes (SPEC §13). */
static int
check_rules(const struct config *cfg, const struct config_alerts *a,
    const char *sec, const struct table *t, struct ew_err *err)
{
	size_t i;

	for (i = 0; i < a->nrules; i++) {
		const struct config_rule *r = &a->rules[i];

		if (!table_match_is_known(t, r->match)) {
			ew_err_set(err, cfg->path, r->match_pos.line,
			    r->match_pos.col,
			    "%s.rules[%zu].match: \"%s\" is no class name, "
			    "code or category:NAME of the table", sec, i,
			    r->match);
			return -1;
		}
	}
	return 0;
}

struct setup *
setup_load(const char *path, unsigned need, struct ew_err *err)
{
	struct setup *s = xcalloc(1, sizeof(*s));
	struct ew_err terr = { 0 };
	size_t i;

	s->cfg = config_load(path, err);
	if (s->cfg == NULL)
		goto fail;
	if ((need & SETUP_INPUTS) && s->cfg->ninputs == 0) {
		/* where the key belongs: the top of the file */
		ew_err_set(err, s->cfg->path, 1, 1, "inputs: missing required "
		    "key: the files to follow");
		goto fail;
	}
	s->table = table_load(s->cfg->table, &terr);
	if (s->table == NULL) {
		char msg[EW_ERR_MSG + EW_ERR_FILE + 32];

		/* Point at the config's table key, and say what is wrong
		 * with the table (its own file:line when it has one). */
		ew_err_format(&terr, msg, sizeof(msg));
		ew_err_set(err, s->cfg->path, s->cfg->table_pos.line,
		    s->cfg->table_pos.col, "table: %s", msg);
		goto fail;
	}
	if (table_nclasses(s->table) > SETUP_MAX_CLASSES) {
		ew_err_set(err, s->cfg->path, s->cfg->table_pos.line,
		    s->cfg->table_pos.col, "table: %s: %zu classes (shared "
		    "codes and Unclassified included), more than the %d a "
		    "program counts", s->cfg->table,
		    table_nclasses(s->table), SETUP_MAX_CLASSES);
		goto fail;
	}
	s->matchers = xcalloc(s->cfg->ninputs, sizeof(*s->matchers));
	for (i = 0; i < s->cfg->ninputs; i++) {
		s->matchers[i] = matcher_create(&s->cfg->inputs[i],
		    s->cfg->path, err);
		if (s->matchers[i] == NULL)
			goto fail;
	}
	if (check_rules(s->cfg, &s->cfg->alerts, "alerts", s->table,
	    err) < 0 ||
	    check_rules(s->cfg, &s->cfg->fleet, "alerts.fleet", s->table,
	    err) < 0)
		goto fail;
	return s;
fail:
	setup_destroy(s);
	return NULL;
}

void
setup_destroy(struct setup *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->matchers != NULL && s->cfg != NULL)
		for (i = 0; i < s->cfg->ninputs; i++)
			matcher_destroy(s->matchers[i]);
	free(s->matchers);
	table_destroy(s->table);
	config_destroy(s->cfg);
	free(s);
}
