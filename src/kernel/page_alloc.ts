// The page allocator (include/linux/gfp.h, mm/page_alloc.c): alloc_pages() and
// __get_free_page() return a block of 2^order pages as a kmem_obj, freed with
// __free_pages()/free_pages(). Each allocation is a fail_page_alloc site.
import { should_fail_alloc_page } from './fault_inject.ts';
import { alloc_call_namer, gfp_name, gfpflags_allow_blocking, might_alloc, type gfp_t } from './gfp.ts';
import { kasan_slab_free, kmem_obj, track_here } from './kasan.ts';
import type { Kernel } from './kernel.ts';
import './kmemleak.ts'; // its scan runs once a kernel has objects

export const PAGE_SIZE = 4096;

const alloc_page_call = alloc_call_namer('alloc_page');
const get_free_page_call = alloc_call_namer('__get_free_page');
const get_zeroed_page_call = alloc_call_namer('get_zeroed_page');

/** __alloc_pages(): the checks, then the pages, or NULL. */
function alloc_block(k: Kernel, gfp: gfp_t, order: number, fn: string, what: string): kmem_obj | null {
  might_alloc(k, gfp, what);
  if (!gfpflags_allow_blocking(gfp) && k.gfp_atomic_fails) return null;
  if (should_fail_alloc_page(k, gfp, what)) return null;
  return new kmem_obj(k, PAGE_SIZE << order, 'page', 'page', track_here(k, [fn]), order);
}

// alloc_pages() in include/linux/gfp.h
export function alloc_pages(k: Kernel, gfp: gfp_t, order: number): kmem_obj | null {
  return alloc_block(k, gfp, order, 'alloc_pages', `alloc_pages(${gfp_name(gfp)}, ${order})`);
}

// alloc_page() in include/linux/gfp.h
export function alloc_page(k: Kernel, gfp: gfp_t): kmem_obj | null {
  return alloc_block(k, gfp, 0, 'alloc_pages', alloc_page_call(gfp));
}

// __get_free_pages() in mm/page_alloc.c
export function __get_free_pages(k: Kernel, gfp: gfp_t, order: number): kmem_obj | null {
  return alloc_block(k, gfp, order, '__get_free_pages', `__get_free_pages(${gfp_name(gfp)}, ${order})`);
}

// __get_free_page() in include/linux/gfp.h
export function __get_free_page(k: Kernel, gfp: gfp_t): kmem_obj | null {
  return alloc_block(k, gfp, 0, '__get_free_pages', get_free_page_call(gfp));
}

// get_zeroed_page() in mm/page_alloc.c
export function get_zeroed_page(k: Kernel, gfp: gfp_t): kmem_obj | null {
  return alloc_block(k, gfp, 0, 'get_zeroed_page', get_zeroed_page_call(gfp));
}

/** free_the_page(): the block must be pages of that order. */
function free_block(page: kmem_obj, order: number, fn: string): void {
  if (page.kind !== 'page' || page.order !== order) throw new Error(`${fn}(${page.key}, ${order}): not a block of order ${order} from the page allocator`);
  kasan_slab_free(page, fn);
}

// __free_pages() in mm/page_alloc.c
export function __free_pages(page: kmem_obj, order: number): void {
  free_block(page, order, '__free_pages');
}

// free_pages() in mm/page_alloc.c: 0 (NULL) is a no-op.
export function free_pages(addr: kmem_obj | null, order: number): void {
  if (addr !== null) free_block(addr, order, 'free_pages');
}

// free_page() in include/linux/gfp.h
export function free_page(addr: kmem_obj | null): void {
  free_pages(addr, 0);
}
