// arch/x86/include/asm/shared/tdx_errno.h
// SEAMCALL completion status (arch/x86/include/asm/shared/tdx_errno.h), by name.


export type tdx_status =
  | 'TDX_SUCCESS'
  | 'TDX_EPT_WALK_FAILED'
  | 'TDX_EPT_ENTRY_STATE_INCORRECT'
  | 'TDX_TLB_TRACKING_NOT_DONE'
  | 'TDX_PAGE_SIZE_MISMATCH'
  | 'TDX_PAGE_ALREADY_ACCEPTED'
  | 'TDX_INSUFFICIENT_RESOURCES'
  | 'TDX_HPA_RANGE_NOT_FREE'
  | 'TDX_OPERAND_BUSY'
  | 'TDX_EPT_INVALID_PROMOTE_CONDITIONS'
  | 'TDX_GPA_RANGE_NOT_BLOCKED';

export const TDX_SUCCESS: tdx_status = 'TDX_SUCCESS';
