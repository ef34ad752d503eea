#include "kezctl/stdout_buffer.h"

#include <stdio.h>
#include <stdlib.h>

#define BLOCK_BYTES (1 << 20)

int stdout_buffer_large(void)
{
	char *block = malloc(BLOCK_BYTES);
	if (!block || setvbuf(stdout, block, _IOFBF, BLOCK_BYTES) != 0) {
		free(block);
		fprintf(stderr, "kezctl: cannot set up the output buffer\n");
		return -1;
	}
	return 0;
}
