/* Content types of the web app's files, by extension. */
#ifndef KEZ_MIME_TYPES_H
#define KEZ_MIME_TYPES_H

/* The type for the extension of `filename` (the part after its last '.',
 * compared case-insensitively); "application/octet-stream" when there is
 * none or it is unknown. Never NULL. */
const char *mime_type_for(const char *filename);

#endif
