/* Content types by file extension. */
#ifndef KEZ_MIME_TYPES_H
#define KEZ_MIME_TYPES_H

/* The type for a file name's extension (case-insensitive);
 * application/octet-stream when unknown. */
const char *mime_type_for(const char *filename);

#endif
