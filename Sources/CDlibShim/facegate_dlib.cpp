#include "facegate_dlib.h"
int fg_dlib_placeholder(void) { return 0; }
