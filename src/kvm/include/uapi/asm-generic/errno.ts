// include/uapi/asm-generic/errno.h (and errno-base.h)
// The codes the model returns, negated as in the kernel.


export const EIO = 5;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;
export const EOPNOTSUPP = 95;
