/* log: level names and numbers, stepping with -v/-q, and that a message
 * below the level formats nothing (its arguments are not evaluated). */
#include "check.h"
#include "log.h"

static int evaluated;

static int
touch(void)
{
	evaluated++;
	return 1;
}

int
main(void)
{
	static const struct {
		const char *in;
		int want;
	} levels[] = {
		{ "err", 3 }, { "error", 3 }, { "warn", 4 }, { "WARNING", 4 },
		{ "info", 6 }, { "debug", 7 }, { "5", 5 }, { "7", 7 },
		{ "8", -1 }, { "2", -1 }, { "", -1 }, { "loud", -1 },
		{ "6x", -1 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(levels); i++)
		CHECK_INT_EQ(log_level_parse(levels[i].in), levels[i].want);

	log_level = LOG_LEVEL_INFO;
	log_level_step(+1);
	CHECK_INT_EQ(log_level, LOG_LEVEL_DEBUG);
	log_level_step(+1);
	CHECK_INT_EQ(log_level, LOG_LEVEL_DEBUG);	/* clamped */
	log_level_step(-1);
	log_level_step(-1);
	CHECK_INT_EQ(log_level, LOG_LEVEL_WARN);
	log_level_step(-1);
	log_level_step(-1);
	CHECK_INT_EQ(log_level, LOG_LEVEL_ERR);		/* clamped */

	log_init();
	log_debug("not shown %d", touch());
	CHECK_INT_EQ(evaluated, 0);
	log_err("shown %d", touch());
	CHECK_INT_EQ(evaluated, 1);
	CHECK_DONE();
}
