/* Standard output fully buffered in one large heap block, for commands that
 * write many lines (envelopes, events): a system call per block, not per
 * line. */
#ifndef KEZCTL_STDOUT_BUFFER_H
#define KEZCTL_STDOUT_BUFFER_H

/* Before anything is written to stdout. The block stays stdout's until the
 * process exits. 0, or -1 after saying why on stderr. */
int stdout_buffer_large(void);

#endif
