#ifndef TVB_CBLAS_SHIM_H
#define TVB_CBLAS_SHIM_H
// Debian's libopenblas-dev puts cblas.h under the openblas include dir named by pkg-config.
#include <cblas.h>
// OpenBLAS extensions used to report and set the kernel core and thread count.
char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
#endif
