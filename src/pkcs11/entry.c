/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "pkcs11/p11.h"

/*
 * The PKCS#11 entry points. Each is one call through a wrapper: the
 * session-bound ones look the session up and lock it
 * (p11_session_enter), run, and let go (p11_session_leave, which passes
 * the result through). The module exports only C_GetFunctionList,
 * C_GetInterfaceList and C_GetInterface (pkcs11.map); the rest are reached
 * through the function lists: 3.0 first, 2.40 second.
 *
 * The `a ?: b` form (a GNU C extension GCC and Clang share) evaluates b
 * only when a is CKR_OK, in order: lookup, then the operation.
 */

#define EXPORT __attribute__((visibility("default")))

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	return p11_initialize(pInitArgs);
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	return p11_finalize(pReserved);
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	return p11_get_info(pInfo);
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
		    CK_ULONG_PTR pulCount)
{
	return p11_slot_list(tokenPresent, pSlotList, pulCount);
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	return p11_slot_info(slotID, pInfo);
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	return p11_token_info(slotID, pInfo);
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList,
			 CK_ULONG_PTR pulCount)
{
	return p11_mech_list(slotID, pList, pulCount);
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
			 CK_MECHANISM_INFO_PTR pInfo)
{
	return p11_mech_info(slotID, type, pInfo);
}

CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
		  CK_UTF8CHAR_PTR pLabel)
{
	return p11_init_token(slotID, pPin, ulPinLen, pLabel);
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
		CK_ULONG ulPinLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_init_pin(s, pPin, ulPinLen));
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
	       CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_set_pin(s, pOldPin, ulOldLen,
							   pNewPin, ulNewLen));
}

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
		    CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	(void)pApplication, (void)Notify; /* no callbacks: nothing to notify */
	return p11_session_open(slotID, flags, phSession);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	return p11_session_close(hSession);
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	return p11_session_close_all(slotID);
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_session_info(s, pInfo));
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
	      CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s, p11_login(s, userType, pPin, ulPinLen));
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_logout(s));
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
		     CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_create_object(s, pTemplate,
								 ulCount,
								 phObject));
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_destroy_object(s, hObject));
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
		      CK_ULONG_PTR pulSize)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s,
					    p11_obj_size(s, hObject, pulSize));
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s,
				  p11_attr_get(s, hObject, pTemplate, ulCount));
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s,
				  p11_attr_set(s, hObject, pTemplate, ulCount));
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
			CK_ULONG ulCount)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s, p11_find_init(s, pTemplate, ulCount));
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
		    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_find_next(s, phObject,
							     ulMaxObjectCount,
							     pulObjectCount));
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_find_final(s));
}

/* ---- encrypt, decrypt ------------------------------------------------------ */

CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		    CK_OBJECT_HANDLE hKey)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_init(s, P11_OP_ENCRYPT,
							   pMechanism, hKey));
}

CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
		CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
		CK_ULONG_PTR pulEncryptedDataLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_one(s, P11_OP_ENCRYPT,
							  pData, ulDataLen,
							  pEncryptedData,
							  pulEncryptedDataLen));
}

CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		      CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
		      CK_ULONG_PTR pulEncryptedPartLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s, p11_op_update(s, P11_OP_ENCRYPT, pPart,
						   ulPartLen, pEncryptedPart,
						   pulEncryptedPartLen));
}

CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart,
		     CK_ULONG_PTR pulLastPartLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_final(s, P11_OP_ENCRYPT,
							    pLastPart,
							    pulLastPartLen));
}

CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		    CK_OBJECT_HANDLE hKey)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_init(s, P11_OP_DECRYPT,
							   pMechanism, hKey));
}

CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData,
		CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData,
		CK_ULONG_PTR pulDataLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_one(s, P11_OP_DECRYPT,
							  pEncryptedData,
							  ulEncryptedDataLen,
							  pData, pulDataLen));
}

CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
		      CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
		      CK_ULONG_PTR pulPartLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s,
					    p11_op_update(s, P11_OP_DECRYPT,
							  pEncryptedPart,
							  ulEncryptedPartLen,
							  pPart, pulPartLen));
}

CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart,
		     CK_ULONG_PTR pulLastPartLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_final(s, P11_OP_DECRYPT,
							    pLastPart,
							    pulLastPartLen));
}

/* ---- digest ------------------------------------------------------------------ */

CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_init(s, P11_OP_DIGEST,
							   pMechanism, 0));
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	       CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
	       CK_ULONG_PTR pulDigestLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s,
					    p11_op_one(s, P11_OP_DIGEST, pData,
						       ulDataLen, pDigest,
						       pulDigestLen));
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		     CK_ULONG ulPartLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_update(s, P11_OP_DIGEST,
							     pPart, ulPartLen,
							     NULL, NULL));
}

CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_digest_key(s, hKey));
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest,
		    CK_ULONG_PTR pulDigestLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_final(s, P11_OP_DIGEST,
							    pDigest,
							    pulDigestLen));
}

/* ---- sign, verify ------------------------------------------------------------ */

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		 CK_OBJECT_HANDLE hKey)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_init(s, P11_OP_SIGN,
							   pMechanism, hKey));
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	     CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_one(s, P11_OP_SIGN, pData,
							  ulDataLen, pSignature,
							  pulSignatureLen));
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		   CK_ULONG ulPartLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_update(s, P11_OP_SIGN,
							     pPart, ulPartLen,
							     NULL, NULL));
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
		  CK_ULONG_PTR pulSignatureLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_final(s, P11_OP_SIGN,
							    pSignature,
							    pulSignatureLen));
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		   CK_OBJECT_HANDLE hKey)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_init(s, P11_OP_VERIFY,
							   pMechanism, hKey));
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	       CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
	       CK_ULONG ulSignatureLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s,
					    p11_verify_one(s, pData, ulDataLen,
							   pSignature,
							   ulSignatureLen));
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
		     CK_ULONG ulPartLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, p11_op_update(s, P11_OP_VERIFY,
							     pPart, ulPartLen,
							     NULL, NULL));
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
		    CK_ULONG ulSignatureLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s,
					    p11_verify_final(s, pSignature,
							     ulSignatureLen));
}

/* ---- keys, random ---------------------------------------------------------------- */

CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		    CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
		    CK_OBJECT_HANDLE_PTR phKey)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s, p11_generate_key(s, pMechanism, pTemplate,
						      ulCount, phKey));
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			CK_ATTRIBUTE_PTR pPublicKeyTemplate,
			CK_ULONG ulPublicKeyAttributeCount,
			CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
			CK_ULONG ulPrivateKeyAttributeCount,
			CK_OBJECT_HANDLE_PTR phPublicKey,
			CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s, p11_generate_key_pair(
					     s, pMechanism, pPublicKeyTemplate,
					     ulPublicKeyAttributeCount,
					     pPrivateKeyTemplate,
					     ulPrivateKeyAttributeCount,
					     phPublicKey, phPrivateKey));
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData,
		       CK_ULONG ulRandomLen)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(
				  s, p11_random(s, RandomData, ulRandomLen));
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
		   CK_ULONG ulSeedLen)
{
	p11_session *s;
	(void)pSeed, (void)ulSeedLen; /* the daemon's DRBG takes no seed */
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, CKR_RANDOM_SEED_NOT_SUPPORTED);
}

/* No function runs in parallel with the application. */
CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, CKR_FUNCTION_NOT_PARALLEL);
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, CKR_FUNCTION_NOT_PARALLEL);
}

static CK_RV session_cancel(p11_session *s, CK_FLAGS flags)
{
	static const struct {
		CK_FLAGS f;
		p11_op_kind k;
	} map[] = {{CKF_SIGN, P11_OP_SIGN},
		   {CKF_VERIFY, P11_OP_VERIFY},
		   {CKF_ENCRYPT, P11_OP_ENCRYPT},
		   {CKF_DECRYPT, P11_OP_DECRYPT},
		   {CKF_DIGEST, P11_OP_DIGEST}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (flags & map[i].f)
			p11_op_reset(&s->op[map[i].k]);
	if (flags & CKF_FIND_OBJECTS)
		(void)p11_find_final(s);
	return CKR_OK;
}

CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	p11_session *s;
	return p11_session_enter(hSession, &s)
		       ?: p11_session_leave(s, session_cancel(s, flags));
}

/* ---- what this token does not do ----------------------------------------------- */

static CK_RV unsupported(void)
{
	return p11_module_get() != NULL ? CKR_FUNCTION_NOT_SUPPORTED
					: CKR_CRYPTOKI_NOT_INITIALIZED;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"

CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession,
			  CK_BYTE_PTR pOperationState,
			  CK_ULONG_PTR pulOperationStateLen)
{
	return unsupported();
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession,
			  CK_BYTE_PTR pOperationState,
			  CK_ULONG ulOperationStateLen,
			  CK_OBJECT_HANDLE hEncryptionKey,
			  CK_OBJECT_HANDLE hAuthenticationKey)
{
	return unsupported();
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
		   CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
		   CK_OBJECT_HANDLE_PTR phNewObject)
{
	return unsupported();
}

CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			CK_OBJECT_HANDLE hKey)
{
	return unsupported();
}

CK_RV C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
		    CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
		    CK_ULONG_PTR pulSignatureLen)
{
	return unsupported();
}

CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession,
			  CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return unsupported();
}

CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
		      CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
		      CK_ULONG_PTR pulDataLen)
{
	return unsupported();
}

CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
			    CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
			    CK_ULONG_PTR pulEncryptedPartLen)
{
	return unsupported();
}

CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession,
			    CK_BYTE_PTR pEncryptedPart,
			    CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
			    CK_ULONG_PTR pulPartLen)
{
	return unsupported();
}

CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
			  CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
			  CK_ULONG_PTR pulEncryptedPartLen)
{
	return unsupported();
}

CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession,
			    CK_BYTE_PTR pEncryptedPart,
			    CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
			    CK_ULONG_PTR pulPartLen)
{
	return unsupported();
}

CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey,
		CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen)
{
	return unsupported();
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		  CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey,
		  CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
		  CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	return unsupported();
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
		  CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
		  CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	return unsupported();
}

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
			 CK_VOID_PTR pRserved)
{
	return unsupported();
}

CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
		  CK_CHAR_PTR pPin, CK_ULONG ulPinLen,
		  CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
	return unsupported();
}

CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession,
			   CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return unsupported();
}

CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
		       CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
		       CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext,
		       CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext,
		       CK_ULONG_PTR pulCiphertextLen)
{
	return unsupported();
}

CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			    CK_ULONG ulParameterLen,
			    CK_BYTE_PTR pAssociatedData,
			    CK_ULONG ulAssociatedDataLen)
{
	return unsupported();
}

CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			   CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
			   CK_ULONG ulPlaintextPartLen,
			   CK_BYTE_PTR pCiphertextPart,
			   CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
	return unsupported();
}

CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
	return unsupported();
}

CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession,
			   CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return unsupported();
}

CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
		       CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
		       CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext,
		       CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext,
		       CK_ULONG_PTR pulPlaintextLen)
{
	return unsupported();
}

CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			    CK_ULONG ulParameterLen,
			    CK_BYTE_PTR pAssociatedData,
			    CK_ULONG ulAssociatedDataLen)
{
	return unsupported();
}

CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			   CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
			   CK_ULONG ulCiphertextPartLen,
			   CK_BYTE_PTR pPlaintextPart,
			   CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
	return unsupported();
}

CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
	return unsupported();
}

CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			CK_OBJECT_HANDLE hKey)
{
	return unsupported();
}

CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
		    CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
		    CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
		    CK_ULONG_PTR pulSignatureLen)
{
	return unsupported();
}

CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			 CK_ULONG ulParameterLen)
{
	return unsupported();
}

CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
			CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
			CK_ULONG_PTR pulSignatureLen)
{
	return unsupported();
}

CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
	return unsupported();
}

CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession,
			  CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	return unsupported();
}

CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
		      CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
		      CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
		      CK_ULONG ulSignatureLen)
{
	return unsupported();
}

CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			   CK_ULONG ulParameterLen)
{
	return unsupported();
}

CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
			  CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
			  CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
			  CK_ULONG ulSignatureLen)
{
	return unsupported();
}

CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
	return unsupported();
}

#pragma GCC diagnostic pop

/* ---- the function lists and interfaces -------------------------------------------- */

#define FUNCTIONS_2_40                                                        \
	.C_Initialize = C_Initialize, .C_Finalize = C_Finalize,               \
	.C_GetInfo = C_GetInfo, .C_GetFunctionList = C_GetFunctionList,       \
	.C_GetSlotList = C_GetSlotList, .C_GetSlotInfo = C_GetSlotInfo,       \
	.C_GetTokenInfo = C_GetTokenInfo,                                     \
	.C_GetMechanismList = C_GetMechanismList,                             \
	.C_GetMechanismInfo = C_GetMechanismInfo, .C_InitToken = C_InitToken, \
	.C_InitPIN = C_InitPIN, .C_SetPIN = C_SetPIN,                         \
	.C_OpenSession = C_OpenSession, .C_CloseSession = C_CloseSession,     \
	.C_CloseAllSessions = C_CloseAllSessions,                             \
	.C_GetSessionInfo = C_GetSessionInfo,                                 \
	.C_GetOperationState = C_GetOperationState,                           \
	.C_SetOperationState = C_SetOperationState, .C_Login = C_Login,       \
	.C_Logout = C_Logout, .C_CreateObject = C_CreateObject,               \
	.C_CopyObject = C_CopyObject, .C_DestroyObject = C_DestroyObject,     \
	.C_GetObjectSize = C_GetObjectSize,                                   \
	.C_GetAttributeValue = C_GetAttributeValue,                           \
	.C_SetAttributeValue = C_SetAttributeValue,                           \
	.C_FindObjectsInit = C_FindObjectsInit,                               \
	.C_FindObjects = C_FindObjects,                                       \
	.C_FindObjectsFinal = C_FindObjectsFinal,                             \
	.C_EncryptInit = C_EncryptInit, .C_Encrypt = C_Encrypt,               \
	.C_EncryptUpdate = C_EncryptUpdate, .C_EncryptFinal = C_EncryptFinal, \
	.C_DecryptInit = C_DecryptInit, .C_Decrypt = C_Decrypt,               \
	.C_DecryptUpdate = C_DecryptUpdate, .C_DecryptFinal = C_DecryptFinal, \
	.C_DigestInit = C_DigestInit, .C_Digest = C_Digest,                   \
	.C_DigestUpdate = C_DigestUpdate, .C_DigestKey = C_DigestKey,         \
	.C_DigestFinal = C_DigestFinal, .C_SignInit = C_SignInit,             \
	.C_Sign = C_Sign, .C_SignUpdate = C_SignUpdate,                       \
	.C_SignFinal = C_SignFinal, .C_SignRecoverInit = C_SignRecoverInit,   \
	.C_SignRecover = C_SignRecover, .C_VerifyInit = C_VerifyInit,         \
	.C_Verify = C_Verify, .C_VerifyUpdate = C_VerifyUpdate,               \
	.C_VerifyFinal = C_VerifyFinal,                                       \
	.C_VerifyRecoverInit = C_VerifyRecoverInit,                           \
	.C_VerifyRecover = C_VerifyRecover,                                   \
	.C_DigestEncryptUpdate = C_DigestEncryptUpdate,                       \
	.C_DecryptDigestUpdate = C_DecryptDigestUpdate,                       \
	.C_SignEncryptUpdate = C_SignEncryptUpdate,                           \
	.C_DecryptVerifyUpdate = C_DecryptVerifyUpdate,                       \
	.C_GenerateKey = C_GenerateKey,                                       \
	.C_GenerateKeyPair = C_GenerateKeyPair, .C_WrapKey = C_WrapKey,       \
	.C_UnwrapKey = C_UnwrapKey, .C_DeriveKey = C_DeriveKey,               \
	.C_SeedRandom = C_SeedRandom, .C_GenerateRandom = C_GenerateRandom,   \
	.C_GetFunctionStatus = C_GetFunctionStatus,                           \
	.C_CancelFunction = C_CancelFunction,                                 \
	.C_WaitForSlotEvent = C_WaitForSlotEvent

static CK_FUNCTION_LIST functions_2_40 = {
	.version = {2, 40},
	FUNCTIONS_2_40,
};

static CK_FUNCTION_LIST_3_0 functions_3_0 = {
	.version = {3, 0},
	FUNCTIONS_2_40,
	.C_GetInterfaceList = C_GetInterfaceList,
	.C_GetInterface = C_GetInterface,
	.C_LoginUser = C_LoginUser,
	.C_SessionCancel = C_SessionCancel,
	.C_MessageEncryptInit = C_MessageEncryptInit,
	.C_EncryptMessage = C_EncryptMessage,
	.C_EncryptMessageBegin = C_EncryptMessageBegin,
	.C_EncryptMessageNext = C_EncryptMessageNext,
	.C_MessageEncryptFinal = C_MessageEncryptFinal,
	.C_MessageDecryptInit = C_MessageDecryptInit,
	.C_DecryptMessage = C_DecryptMessage,
	.C_DecryptMessageBegin = C_DecryptMessageBegin,
	.C_DecryptMessageNext = C_DecryptMessageNext,
	.C_MessageDecryptFinal = C_MessageDecryptFinal,
	.C_MessageSignInit = C_MessageSignInit,
	.C_SignMessage = C_SignMessage,
	.C_SignMessageBegin = C_SignMessageBegin,
	.C_SignMessageNext = C_SignMessageNext,
	.C_MessageSignFinal = C_MessageSignFinal,
	.C_MessageVerifyInit = C_MessageVerifyInit,
	.C_VerifyMessage = C_VerifyMessage,
	.C_VerifyMessageBegin = C_VerifyMessageBegin,
	.C_VerifyMessageNext = C_VerifyMessageNext,
	.C_MessageVerifyFinal = C_MessageVerifyFinal,
};

static CK_UTF8CHAR interface_name[] = "PKCS 11";

/* 3.0 first (the default), 2.40 second. Not CKF_INTERFACE_FORK_SAFE: a
 * fork child calls C_Initialize again. */
static CK_INTERFACE interfaces[] = {
	{interface_name, &functions_3_0, 0},
	{interface_name, &functions_2_40, 0},
};

#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &functions_2_40;
	return CKR_OK;
}

EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
				CK_ULONG_PTR pulCount)
{
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	if (pInterfacesList != NULL && *pulCount < N_INTERFACES) {
		*pulCount = N_INTERFACES;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (size_t i = 0; pInterfacesList != NULL && i < N_INTERFACES; i++)
		pInterfacesList[i] = interfaces[i];
	*pulCount = N_INTERFACES;
	return CKR_OK;
}

EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName,
			    CK_VERSION_PTR pVersion,
			    CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	if (ppInterface == NULL)
		return CKR_ARGUMENTS_BAD;
	for (size_t i = 0; i < N_INTERFACES; i++) {
		const CK_VERSION *v = interfaces[i].pFunctionList;
		if (pInterfaceName != NULL &&
		    strcmp((const char *)pInterfaceName,
			   (const char *)interfaces[i].pInterfaceName) != 0)
			continue;
		if (pVersion != NULL && (pVersion->major != v->major ||
					 pVersion->minor != v->minor))
			continue;
		if ((flags & ~interfaces[i].flags) != 0)
			continue;
		*ppInterface = &interfaces[i];
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}
