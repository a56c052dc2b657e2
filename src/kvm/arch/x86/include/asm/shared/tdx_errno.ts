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
  | 'TDX_EPT_INVALID_PROMOTE_CONDITIONS'
  | 'TDX_GPA_RANGE_NOT_BLOCKED'
  /** The module found one of its locks taken (by TDH.VP.ENTER, a TDCALL or another
   * SEAMCALL on the same S-EPT): try again. */
  | 'TDX_OPERAND_BUSY'
  /** DEMOTE (and PROMOTE) interrupted on a module without
   * TDX_FEATURES0.ENHANCE_DEMOTE_INTERRUPTIBILITY: restart it. */
  | 'TDX_INTERRUPTED_RESTARTABLE';

export const TDX_SUCCESS: tdx_status = 'TDX_SUCCESS';

// tdx_operand_busy() in arch/x86/kvm/vmx/tdx.c
export function tdx_operand_busy(err: tdx_status): boolean {
  return err === 'TDX_OPERAND_BUSY';
}
