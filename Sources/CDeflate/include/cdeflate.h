#ifndef PROVCHECK_CDEFLATE_H
#define PROVCHECK_CDEFLATE_H
/* provcheck's own deflate engine (issue 9). Placeholder header. */
int cdeflate_version(void);
#endif
