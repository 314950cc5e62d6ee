/* common/optim/clip.h — gradient clipping by global norm (Pascanu, Mikolov & Bengio, "On the
 * difficulty of training recurrent neural networks", ICML 2013): applied after backward and
 * before the optimizer step. */
#ifndef DL_OPTIM_CLIP_H
#define DL_OPTIM_CLIP_H

#include "nn/params.h"

/* torch.nn.utils.clip_grad_norm_: the global L2 norm of all grads; when it exceeds max_norm
 * every grad is scaled by max_norm/(norm + 1e-6). Returns the norm before clipping. */
float clip_grad_norm(Params *p, float max_norm);

#endif
