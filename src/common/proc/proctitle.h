/* Process titles as ps shows them ("kez-chat-server: worker 2"): the argv
 * area is rewritten in place, after moving the environment out of its way. */
#ifndef KEZ_PROCTITLE_H
#define KEZ_PROCTITLE_H

/* Call once in main, before anything reads argv or environ again. */
void proctitle_init(int argc, char **argv);
/* Sets "kez-chat-server: <role>" (and the kernel's comm name). */
void proctitle_set(const char *role);

#endif
