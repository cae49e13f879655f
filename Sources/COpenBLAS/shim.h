// The system OpenBLAS (Debian's libopenblas-dev): CBLAS plus openblas_get_corename / _num_threads.
#include <cblas.h>
