#include "kezctl/stdout_buffer.h"

#include <stdio.h>
#include <stdlib.h>

int stdout_buffer_large(size_t bytes)
{
	char *block = malloc(bytes);
	if (!block || setvbuf(stdout, block, _IOFBF, bytes) != 0) {
		free(block);
		fprintf(stderr, "kezctl: cannot set up the output buffer\n");
		return -1;
	}
	return 0;
}
