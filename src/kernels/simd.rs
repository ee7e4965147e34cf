//! Runtime choice between an AVX2+FMA build of a kernel and the portable one.
//!
//! The crate is compiled for baseline x86-64 (SSE2), so the loops of the kernels are compiled
//! again with AVX2+FMA and with AVX-512 enabled, and the widest copy the CPU supports runs.

/// Multiply-add `a * b + c`, fused when `FMA` (the caller was compiled with the `fma` feature),
/// else two rounded operations (a software fused multiply-add would be far slower).
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Whether this CPU can run the AVX2+FMA copies of the kernels.
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU can run the AVX-512 copies of the kernels.
#[inline]
pub(crate) fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && has_avx2_fma()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines `$name(args)` that runs `$body::<true>(args)` compiled with AVX-512 (when the CPU has
/// it) or AVX2+FMA, and `$body::<false>(args)` otherwise. `$body` must be `#[inline(always)]`
/// and generic over `const FMA: bool` (last generic parameter).
macro_rules! dispatch_fma {
    ($(#[$meta:meta])* $vis:vis fn $name:ident [$($g:tt)*] ($($arg:ident : $ty:ty),* $(,)?) => $body:ident [$($ga:tt)*]) => {
        $(#[$meta])*
        $vis fn $name<$($g)*>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn with_avx512<$($g)*>($($arg: $ty),*) {
                    $body::<$($ga)* true>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn with_fma<$($g)*>($($arg: $ty),*) {
                    $body::<$($ga)* true>($($arg),*)
                }
                if $crate::kernels::simd::has_avx512() {
                    // SAFETY: the CPU supports the features `with_avx512` is compiled for.
                    return unsafe { with_avx512::<$($ga)*>($($arg),*) };
                }
                if $crate::kernels::simd::has_avx2_fma() {
                    // SAFETY: the CPU supports the features `with_fma` is compiled for.
                    return unsafe { with_fma::<$($ga)*>($($arg),*) };
                }
            }
            $body::<$($ga)* false>($($arg),*)
        }
    };
}
pub(crate) use dispatch_fma;
