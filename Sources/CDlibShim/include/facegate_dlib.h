#ifndef FACEGATE_DLIB_H
#define FACEGATE_DLIB_H
#ifdef __cplusplus
extern "C" {
#endif
int fg_dlib_placeholder(void);
#ifdef __cplusplus
}
#endif
#endif
