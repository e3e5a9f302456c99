/*
 * A stand-in for bcryptprimitives.dll, for running gale's Windows test
 * binaries under wine versions that lack it (Debian's wine 8.0).
 *
 * Every Go >= 1.22 Windows program loads bcryptprimitives.dll at start and
 * takes its random bytes from ProcessPrng; without the DLL the runtime
 * aborts before main. This stub answers ProcessPrng from advapi32's
 * RtlGenRandom (exported as SystemFunction036), which wine does implement.
 *
 * It is for tests under wine only: .ci/wine-test.sh builds it from this
 * source on every run and copies it into a private wine prefix. Never
 * install it on a real Windows system, whose own DLL is the real thing.
 */
#include <windows.h>

/* RtlGenRandom; ntsecapi.h declares it only under that name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/*
 * ProcessPrng fills pbData with cbData random bytes. The real one never
 * fails and always returns TRUE; this one returns FALSE if RtlGenRandom
 * does, which makes the Go runtime abort loudly rather than run on
 * non-random bytes. RtlGenRandom takes a ULONG length, so large requests
 * are split.
 */
BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData)
{
	while (cbData > 0) {
		ULONG n = cbData > 0x10000000 ? 0x10000000 : (ULONG)cbData;
		if (!SystemFunction036(pbData, n))
			return FALSE;
		pbData += n;
		cbData -= n;
	}
	return TRUE;
}
