# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""The module through ctypes, for what PyKCS11 hides: exact CK_RV values of
C_GetAttributeValue (it retries them away), multi-part calls with our own
buffers, the 3.0 interface functions. It dlopen()s the same .so as PyKCS11
in the same process, so both see the same sessions."""

import ctypes as C

CK_ULONG = C.c_ulong
CK_RV = C.c_ulong
UNAVAILABLE = (1 << (8 * C.sizeof(C.c_ulong))) - 1

# The CK_FUNCTION_LIST order (PKCS#11 2.40 / pkcs11f.h).
FUNCTIONS = """C_Initialize C_Finalize C_GetInfo C_GetFunctionList C_GetSlotList
C_GetSlotInfo C_GetTokenInfo C_GetMechanismList C_GetMechanismInfo C_InitToken
C_InitPIN C_SetPIN C_OpenSession C_CloseSession C_CloseAllSessions
C_GetSessionInfo C_GetOperationState C_SetOperationState C_Login C_Logout
C_CreateObject C_CopyObject C_DestroyObject C_GetObjectSize
C_GetAttributeValue C_SetAttributeValue C_FindObjectsInit C_FindObjects
C_FindObjectsFinal C_EncryptInit C_Encrypt C_EncryptUpdate C_EncryptFinal
C_DecryptInit C_Decrypt C_DecryptUpdate C_DecryptFinal C_DigestInit C_Digest
C_DigestUpdate C_DigestKey C_DigestFinal C_SignInit C_Sign C_SignUpdate
C_SignFinal C_SignRecoverInit C_SignRecover C_VerifyInit C_Verify
C_VerifyUpdate C_VerifyFinal C_VerifyRecoverInit C_VerifyRecover
C_DigestEncryptUpdate C_DecryptDigestUpdate C_SignEncryptUpdate
C_DecryptVerifyUpdate C_GenerateKey C_GenerateKeyPair C_WrapKey C_UnwrapKey
C_DeriveKey C_SeedRandom C_GenerateRandom C_GetFunctionStatus
C_CancelFunction C_WaitForSlotEvent""".split()


class CK_ATTRIBUTE(C.Structure):
    _fields_ = [("type", CK_ULONG), ("pValue", C.c_void_p),
                ("ulValueLen", CK_ULONG)]


class CK_MECHANISM(C.Structure):
    _fields_ = [("mechanism", CK_ULONG), ("pParameter", C.c_void_p),
                ("ulParameterLen", CK_ULONG)]


class CK_GCM_PARAMS(C.Structure):
    _fields_ = [("pIv", C.c_void_p), ("ulIvLen", CK_ULONG),
                ("ulIvBits", CK_ULONG), ("pAAD", C.c_void_p),
                ("ulAADLen", CK_ULONG), ("ulTagBits", CK_ULONG)]


class CK_VERSION(C.Structure):
    _fields_ = [("major", C.c_ubyte), ("minor", C.c_ubyte)]


class CK_INTERFACE(C.Structure):
    _fields_ = [("pInterfaceName", C.c_char_p), ("pFunctionList", C.c_void_p),
                ("flags", CK_ULONG)]


class FunctionList(C.Structure):
    _fields_ = [("version", CK_VERSION)] + [(n, C.c_void_p)
                                            for n in FUNCTIONS]


class Raw:
    def __init__(self, path):
        self.dll = C.CDLL(path)
        fl = C.POINTER(FunctionList)()
        rv = self.dll.C_GetFunctionList(C.byref(fl))
        assert rv == 0
        self.fl = fl.contents

    def call(self, name, *args):
        """Calls function `name` of the list; ints go as CK_ULONG-sized
        words, everything else as given (pointers, byref())."""
        conv = [C.c_void_p(a) if isinstance(a, int) else a for a in args]
        proto = C.CFUNCTYPE(CK_RV, *([C.c_void_p] * len(conv)))
        return proto(getattr(self.fl, name))(*conv)

    # -- helpers ---------------------------------------------------------

    def get_attr(self, session, obj, atype, size=None):
        """(rv, ulValueLen, value bytes or None); size None: a length
        query (pValue NULL)."""
        a = CK_ATTRIBUTE(atype, None, 0)
        buf = None
        if size is not None:
            buf = C.create_string_buffer(size)
            a.pValue = C.cast(buf, C.c_void_p)
            a.ulValueLen = size
        rv = self.call("C_GetAttributeValue", session, obj, C.byref(a), 1)
        value = buf.raw[:a.ulValueLen] if (buf is not None and rv == 0) \
            else None
        return rv, a.ulValueLen, value

    def mech(self, mtype, param=None):
        m = CK_MECHANISM(mtype, None, 0)
        if param is not None:
            m.pParameter = C.cast(C.byref(param), C.c_void_p)
            m.ulParameterLen = C.sizeof(param)
        return m

    def out_call(self, name, session, data, cap):
        """C_Encrypt-like: (rv, output bytes, ulLen)."""
        out = C.create_string_buffer(max(cap, 1))
        n = CK_ULONG(cap)
        inp = C.create_string_buffer(bytes(data), len(data))
        rv = self.call(name, session, C.cast(inp, C.c_void_p), len(data),
                       C.cast(out, C.c_void_p) if cap else None,
                       C.byref(n))
        return rv, out.raw[:n.value] if rv == 0 and cap else b"", n.value

    def final_call(self, name, session, cap):
        """C_SignFinal-like; cap 0 is a length query (NULL buffer)."""
        out = C.create_string_buffer(max(cap, 1))
        n = CK_ULONG(cap)
        rv = self.call(name, session, C.cast(out, C.c_void_p) if cap else
                       None, C.byref(n))
        return rv, out.raw[:n.value] if rv == 0 and cap else b"", n.value

    def interfaces(self):
        n = CK_ULONG(0)
        rv = self.dll.C_GetInterfaceList(None, C.byref(n))
        assert rv == 0
        arr = (CK_INTERFACE * n.value)()
        rv = self.dll.C_GetInterfaceList(arr, C.byref(n))
        assert rv == 0
        out = []
        for i in arr:
            v = CK_VERSION.from_address(i.pFunctionList)
            out.append((i.pInterfaceName.decode(), v.major, v.minor,
                        i.flags))
        return out

    def get_interface(self, name=None, version=None):
        p = C.POINTER(CK_INTERFACE)()
        ver = None
        if version is not None:
            ver = C.byref(CK_VERSION(*version))
        rv = self.dll.C_GetInterface(name, ver, C.byref(p), CK_ULONG(0))
        if rv != 0:
            return rv, None
        v = CK_VERSION.from_address(p.contents.pFunctionList)
        return rv, (v.major, v.minor)
