/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Known-answer vectors of the crypto self-test, each from a published source
 * named in its comment. Byte strings are hex; the runner is selftest.c.
 * These are test data, not code: the values are exactly as published.
 */

#include "crypto/internal.h"

const kw_kat kw_kat_table[] = {
	/* FIPS 180-4 / NIST CSRC example values: SHA-1("abc") */
	{
		.name = "sha1-abc",
		.kind = KW_KAT_DIGEST,
		.hash = KW_HASH_SHA1,
		.msg = "616263",
		.expect = "a9993e364706816aba3e25717850c26c9cd0d89d",
	},
	/* SHA-224("abc") */
	{
		.name = "sha224-abc",
		.kind = KW_KAT_DIGEST,
		.hash = KW_HASH_SHA224,
		.msg = "616263",
		.expect = "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c"
			  "9da7",
	},
	/* SHA-256("abc") */
	{
		.name = "sha256-abc",
		.kind = KW_KAT_DIGEST,
		.hash = KW_HASH_SHA256,
		.msg = "616263",
		.expect = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410"
			  "ff61f20015ad",
	},
	/* SHA-256 of the 448-bit two-block message */
	{
		.name = "sha256-2block",
		.kind = KW_KAT_DIGEST,
		.hash = KW_HASH_SHA256,
		.msg = "6162636462636465636465666465666765666768666768696768696"
		       "a68696a6b"
		       "696a6b6c6a6b6c6d6b6c6d6e6c6d6e6f6d6e6f706e6f7071",
		.expect = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ec"
			  "edd419db06c1",
	},
	/* SHA-384("abc") */
	{
		.name = "sha384-abc",
		.kind = KW_KAT_DIGEST,
		.hash = KW_HASH_SHA384,
		.msg = "616263",
		.expect = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b"
			  "605a43ff5bed"
			  "8086072ba1e7cc2358baeca134c825a7",
	},
	/* SHA-512("abc") */
	{
		.name = "sha512-abc",
		.kind = KW_KAT_DIGEST,
		.hash = KW_HASH_SHA512,
		.msg = "616263",
		.expect = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9e"
			  "eee64b55d39a"
			  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9a"
			  "c94fa54ca49f",
	},
	/* RFC 4231 §4.2, test case 1 */
	{
		.name = "hmac-sha256-rfc4231-1",
		.kind = KW_KAT_HMAC,
		.hash = KW_HASH_SHA256,
		.key = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		.msg = "4869205468657265",
		.expect = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9"
			  "376c2e32cff7",
	},
	/* RFC 4231 §4.2, test case 1 */
	{
		.name = "hmac-sha384-rfc4231-1",
		.kind = KW_KAT_HMAC,
		.hash = KW_HASH_SHA384,
		.key = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		.msg = "4869205468657265",
		.expect = "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa"
			  "034c7cebc59c"
			  "faea9ea9076ede7f4af152e8b2fa9cb6",
	},
	/* RFC 4231 §4.2, test case 1 */
	{
		.name = "hmac-sha512-rfc4231-1",
		.kind = KW_KAT_HMAC,
		.hash = KW_HASH_SHA512,
		.key = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		.msg = "4869205468657265",
		.expect = "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0"
			  "b30545e17cde"
			  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e69"
			  "6c203a126854",
	},
	/* RFC 4231 §4.3, test case 2 (key shorter than an HMAC key may be: raw-key path only) */
	{
		.name = "hmac-sha256-rfc4231-2",
		.kind = KW_KAT_HMAC,
		.hash = KW_HASH_SHA256,
		.key = "4a656665",
		.msg = "7768617420646f2079612077616e7420666f72206e6f7468696e673"
		       "f",
		.expect = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec"
			  "58b964ec3843",
	},
	/* RFC 5869 appendix A.1, test case 1 */
	{
		.name = "hkdf-sha256-rfc5869-1",
		.kind = KW_KAT_HKDF,
		.key = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		.iv = "000102030405060708090a0b0c",
		.aad = "f0f1f2f3f4f5f6f7f8f9",
		.expect = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
			  "2d56ecc4c5bf"
			  "34007208d5b887185865",
	},
	/* The Galois/Counter Mode of Operation (McGrew, Viega; NIST submission), test case 4 */
	{
		.name = "aes128-gcm-tc4",
		.kind = KW_KAT_GCM,
		.type = KW_KEY_AES_128,
		.key = "feffe9928665731c6d6a8f9467308308",
		.iv = "cafebabefacedbaddecaf888",
		.aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		.msg = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303"
		       "d8a318a72"
		       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b3"
		       "9",
		.expect = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c1"
			  "7e2329aca12e"
			  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58"
			  "e0915bc94fbc"
			  "3221a5db94fae95ae7121a47",
	},
	/* Same document, test case 16 */
	{
		.name = "aes256-gcm-tc16",
		.kind = KW_KAT_GCM,
		.type = KW_KEY_AES_256,
		.key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9"
		       "467308308",
		.iv = "cafebabefacedbaddecaf888",
		.aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		.msg = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303"
		       "d8a318a72"
		       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b3"
		       "9",
		.expect = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598"
			  "a2bd2555d1aa"
			  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9"
			  "f66276fc6ece"
			  "0f4e1768cddf8853bb2d551b",
	},
	/* RFC 3394 §4.1: 128 bits of key data with a 128-bit KEK */
	{
		.name = "aes128-kw-rfc3394-4.1",
		.kind = KW_KAT_WRAP,
		.type = KW_KEY_AES_128,
		.cipher = KW_CIPHER_AES128_KW,
		.key = "000102030405060708090a0b0c0d0e0f",
		.msg = "00112233445566778899aabbccddeeff",
		.expect = "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5",
	},
	/* RFC 3394 §4.6: 256 bits of key data with a 256-bit KEK */
	{
		.name = "aes256-kw-rfc3394-4.6",
		.kind = KW_KAT_WRAP,
		.type = KW_KEY_AES_256,
		.cipher = KW_CIPHER_AES256_KW,
		.key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1"
		       "b1c1d1e1f",
		.msg = "00112233445566778899aabbccddeeff000102030405060708090a0"
		       "b0c0d0e0f",
		.expect = "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7"
			  "f0e71a99f43b"
			  "fb988b9b7a02dd21",
	},
	/* RFC 5649 §6, first example (20 octets; the RFC's KEK is 192 bits, so this runs on the cipher directly) */
	{
		.name = "aes192-kwp-rfc5649-20",
		.kind = KW_KAT_WRAP,
		.type = KW_KEY_NONE,
		.cipher = KW_CIPHER_AES192_KWP,
		.key = "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
		.msg = "c37b7e6492584340bed12207808941155068f738",
		.expect = "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54"
			  "f373fa543b6a",
	},
	/* RFC 5649 §6, second example (7 octets) */
	{
		.name = "aes192-kwp-rfc5649-7",
		.kind = KW_KAT_WRAP,
		.type = KW_KEY_NONE,
		.cipher = KW_CIPHER_AES192_KWP,
		.key = "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
		.msg = "466f7250617369",
		.expect = "afbeb0f07dfbf5419200f2ccb50bb24f",
	},
	/* RFC 8032 §7.1, TEST 1 */
	{
		.name = "ed25519-rfc8032-1",
		.kind = KW_KAT_ED25519,
		.type = KW_KEY_ED25519,
		.key = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac0"
		       "31cae7f60",
		.iv = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68"
		      "f707511a",
		.msg = "",
		.expect = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873"
			  "e06522490155"
			  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe246551"
			  "41438e7a100b",
	},
	/* RFC 8032 §7.1, TEST 2 */
	{
		.name = "ed25519-rfc8032-2",
		.kind = KW_KAT_ED25519,
		.type = KW_KEY_ED25519,
		.key = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6e"
		       "d4fb8a6fb",
		.iv = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f1"
		      "2af4660c",
		.msg = "72",
		.expect = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb376"
			  "2223ebdb69da"
			  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d"
			  "291612bb0c00",
	},
	/* RFC 8032 §7.1, TEST 3 */
	{
		.name = "ed25519-rfc8032-3",
		.kind = KW_KAT_ED25519,
		.type = KW_KEY_ED25519,
		.key = "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2"
		       "e0b4458f7",
		.iv = "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb9115"
		      "48908025",
		.msg = "af82",
		.expect = "6291d657deec24024827e69c3abe01a30ce548a284743a445e36"
			  "80d7db5ac3ac"
			  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027"
			  "beceea1ec40a",
	},
	/* RFC 6979 appendix A.2.5: P-256, SHA-256, message "sample" */
	{
		.name = "ecdsa-p256-rfc6979",
		.kind = KW_KAT_ECDSA,
		.type = KW_KEY_EC_P256,
		.hash = KW_HASH_SHA256,
		.key = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622"
		       "b120f6721",
		.iv = "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce66962"
		      "2e60f29f"
		      "b67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c2"
		      "94d44622"
		      "99",
		.msg = "73616d706c65",
		.expect = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d"
			  "0ea84eaf3716"
			  "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4"
			  "ab2f843acda8",
	},
	/* RFC 6979 appendix A.2.6: P-384, SHA-384, message "sample" */
	{
		.name = "ecdsa-p384-rfc6979",
		.kind = KW_KAT_ECDSA,
		.type = KW_KEY_EC_P384,
		.hash = KW_HASH_SHA384,
		.key = "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa4774"
		       "0787137d8"
		       "96d5724e4c70a825f872c9ea60d2edf5",
		.iv = "04ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5"
		      "286b300c"
		      "64def8f0ea9055866064a254515480bc138015d9b72d7d57244ea8ef"
		      "9ac0c621"
		      "896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd"
		      "25332647"
		      "20",
		.msg = "73616d706c65",
		.expect = "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64"
			  "c4ea95ad133c"
			  "81a648152e44acf96e36dd1e80fabe4699ef4aeb15f178cea1fe"
			  "40db2603138f"
			  "130e740a19624526203b6351d0a3a94fa329c145786e679e7b82"
			  "c71a38628ac8",
	},
	/* RFC 6979 appendix A.2.7: P-521, SHA-512, message "sample" */
	{
		.name = "ecdsa-p521-rfc6979",
		.kind = KW_KAT_ECDSA,
		.type = KW_KEY_EC_P521,
		.hash = KW_HASH_SHA512,
		.key = "00fad06daa62ba3b25d2fb40133da757205de67f5bb0018fee8c86e"
		       "1b68c7e75"
		       "caa896eb32f1f47c70855836a6d16fcc1466f6d8fbec67db89ec0c0"
		       "8b0e996b8"
		       "3538",
		.iv = "0401894550d0785932e00eaa23b694f213f8c3121f86dc97a04e5a71"
		      "67db4e5b"
		      "cd371123d46e45db6b5d5370a7f20fb633155d38ffa16d2bd761dcac"
		      "474b9a2f"
		      "5023a400493101c962cd4d2fddf782285e64584139c2f91b47f87ff8"
		      "2354d663"
		      "0f746a28a0db25741b5b34a828008b22acc23f924faafbd4d33f81ea"
		      "66956dfe"
		      "aa2bfdfcf5",
		.msg = "73616d706c65",
		.expect = "00c328fafcbd79dd77850370c46325d987cb525569fb63c5d3bc"
			  "53950e6d4c5f"
			  "174e25a1ee9017b5d450606add152b534931d7d4e8455cc91f9b"
			  "15bf05ec36e3"
			  "77fa00617cce7cf5064806c467f678d3b4080d6f1cc50af26ca2"
			  "09417308281b"
			  "68af282623eaa63e5b5c0723d8b8c37ff0777b1a20f8ccb1dccc"
			  "43997f1ee0e4"
			  "4da4a67a",
	},
	/* NIST CAVP 186-3 RSA, SigGen15_186-3.rsp, [mod = 2048], first SHA-1 vector (e = 0x1001) */
	{
		.name = "rsa2048-pkcs1-sha1-cavp",
		.kind = KW_KAT_SIGVER,
		.type = KW_KEY_RSA_2048,
		.hash = KW_HASH_SHA1,
		.scheme = KW_SIG_RSA_PKCS1,
		.key = "a564d3d06be468a46958d56bb4884e2c4c28f538b7e15df35330505"
		       "177789d3e"
		       "1d792ad7aec7fc80a8cccf7ed4030471100401724bd4636a8a82441"
		       "80cc655e2"
		       "56c00e778efe8bea55ab52d3a557075e35039d687cc0755b939a44a"
		       "73033a0a6"
		       "f09d2d6ae7e6593380718be00814d20567b1d7d48b633735e423017"
		       "ff0a7b406"
		       "d822f45fbb4d234028ca78abb702b18fcce13d2f69148ef584e9aaf"
		       "283caab38"
		       "f6946d342d600c6e77b7370a05ff302e5483b0faad3103d0b3e8c9c"
		       "8e9eca1d4"
		       "a871bdbd09585eb00dc3a488271cf6a3b767e68ea9bd2c83e8c89fd"
		       "047f17915"
		       "cf6a4c05bb9222b7e4470df5f3f1a28324c1aafcbb2236d2293041d"
		       "128b0e15f",
		.iv = "1001",
		.msg = "f6c5f5fec6b7324a1b4ef0cba4ca7b6e2e1130ed1a548f950ff0924"
		       "cec923dd2"
		       "019f77477ed318ee2b2843305af9f6e41b67dfcdaefc72643e8e38d"
		       "8cc666a54"
		       "69a2be80a8d8814a53fce6e65d849e1318c9a8a1a8b16b30b88b023"
		       "a6b3ad754"
		       "959673b02c0f94e7f99480f593b39a858e013370f0bca280e4af977"
		       "9b356ac5a",
		.expect = "712c32aa0d46b4fad294704103fbe3519640f3efcf168eadf265"
			  "f61bf9f7976d"
			  "8c11ba3d85dd4e3bb0cdd6c15c2fc6520adf1deadbcdd735a9f0"
			  "f5f90ba51c91"
			  "77cbe8c0df1219db3afb8dfe7f3a0c5e1b3b9a7c0bcf017b0d16"
			  "037f5ae1a85b"
			  "3eff591b5a2f2deef7cf5a79deed928675e35d546504ebfab57b"
			  "60aedf8c7cd7"
			  "fe5cd7efc9f8a00c7f3f4a398103181801089974ca38ea585a0e"
			  "ebe3d84b6454"
			  "dd9f880daae2181157a5f76f34ee30fe396fa0ab396b88631076"
			  "9d6d77348786"
			  "5c9ba23db777a596b696486e875d2b4e07131d5276b788de62e4"
			  "39768ad308c3"
			  "120975cdfd6f186202d36313ef194dba99a366c08196b8228c9b"
			  "b69a2a5abcd6",
	},
	/* NIST CAVP 186-3 RSA, SigGenPSS_186-3.rsp (salt length 0), [mod = 2048], first SHA-224 vector */
	{
		.name = "rsa2048-pss-sha224-cavp",
		.kind = KW_KAT_SIGVER,
		.type = KW_KEY_RSA_2048,
		.hash = KW_HASH_SHA224,
		.scheme = KW_SIG_RSA_PSS,
		.salt = 0,
		.key = "d58dcfa1b7b8dfb5c3135e9cb4ba80387f9841757fa8585ce00f431"
		       "aeb7cfdec"
		       "9e1ecec8cc2efd935a9641124f563a49f62d426eafe0fa180b4d9b2"
		       "7957f8973"
		       "91c75ed86341d6ccf56ca79a880c697375809c973cd63ea238f46fe"
		       "c331d3dfa"
		       "0b71e5971d585d14d52da8c5bec9138a6041eb8cbc645a88a9bc6a7"
		       "80d2333ce"
		       "b6e753707a6b91321665b4b524118bd6c5430e0072b15bfa0c70fd2"
		       "da1edf68e"
		       "3d7c657381c7247f45497996bff1f28a9f0d70627aa3b638a549958"
		       "e6c8fae92"
		       "17dbe851ce64ed41fe847dafae743f7c9ca9c597aefa827bbfb06e6"
		       "03bd77522"
		       "3e39e214a17b5f51d54e5196b99d32f927749a2492718a1c57d6e5a"
		       "e2a178549",
		.iv = "1001",
		.msg = "19828d058058243557e29ec3f95b566fb4292c6e7dc0d56ae1c475c"
		       "b3f6d6f35"
		       "35307b51589cfad1288287ae4358cfb4d8dfa2415f044a4a87041b9"
		       "e70d44b6f"
		       "1bc0040e1f52b8f69d75b50c75daf925ba9b47c9641f7a37453d1aa"
		       "83fa42dd8"
		       "b37a4fc33c4305ac9e054f64f9a97cc943a5428df4d80e3903b5997"
		       "112a4bc79",
		.expect = "332f92d020bbc9be782f7ed9d9536f564fba8d555b8ff13d5825"
			  "1882a2965da9"
			  "b0bbe810d24416e460154e696a120b67f0fc6ea1b9c9a9dab219"
			  "2916833a6198"
			  "72f352e735bd9e3343c85ef03da3f7b9b41e4d6c108e52696150"
			  "fda6f6a39532"
			  "a88f95aa3ce655d7ceb0599cd9cd1033cf3e121d4014b40fb2cb"
			  "f515abd7ec0a"
			  "8ebd736bf20fc47b7f3082259c92685459decf009d7a91999829"
			  "bcb9cc0d73b9"
			  "4cb4f694234c21fc15bfe36dd988085e6da425ca4785bbe9dd18"
			  "6fbaa5282bcb"
			  "63dd78361f9158eb92c7fcb0a40294ea0c9b840d15ef73dd9002"
			  "2bf9d674fcc0"
			  "85e316b393e10c1810284df6002e9b41c11e5db1a6eda1590444"
			  "02ac2fadfe9b",
	},
	/* Project Wycheproof rsa_sig_gen_misc_test.json, 3072-bit SHA-256 group, tcId 105 (empty message): PKCS#1 v1.5 is deterministic, so signing must give exactly this */
	{
		.name = "rsa3072-pkcs1-sha256-wycheproof",
		.kind = KW_KAT_SIGGEN,
		.type = KW_KEY_RSA_3072,
		.hash = KW_HASH_SHA256,
		.scheme = KW_SIG_RSA_PKCS1,
		.key = "308206fb020100300d06092a864886f70d0101010500048206e5308"
		       "206e10201"
		       "000282018100c6fe23792566023c265287c5ac6f71541c0994d11d0"
		       "59ee64039"
		       "86efa21c24b51bd91d8862f9df79a4e328e3e27c83df260b25a9b43"
		       "420affc44"
		       "b51e8d7525b6f29c372a405104732007527a62ed82fac73f4892a80"
		       "e09682a41"
		       "a58cd347017f3be7d801334f92d9321aafd53b51bffabfc752cfcca"
		       "e0b1ee03b"
		       "daff9e428cc1c117f1ac96b4fe23f8c23e6381186a66fd59289339a"
		       "e55c4bcda"
		       "dbff84abdaa532240d4e1d28b2d0481dadd3b246557ca8fe1809281"
		       "7730b39e6"
		       "ee378ffcc85b19ffdc916a9b991a6b66d4a9c7bab5f5e7a37221011"
		       "42e7a4108"
		       "c15d573b15289e07e46eaea07b42c2abcba330e99554b4656165bb4"
		       "c0db2b639"
		       "3a07eca575c51a93c4e15bdb0f747909447e3efe34c67ca8954b530"
		       "e56a20a1b"
		       "6d84d45ed1bcd3aa58ec06f184ee5857aaa819e1cca9a26f4e28d6b"
		       "977d33916"
		       "db9896d252d1afa762e287cb0d384cc75bfe53f4e922d02dd0a481c"
		       "042e2d306"
		       "b4b3c189371e575b25e0005a164cf69dd0976e4d5be476806ea6be6"
		       "084e71ab4"
		       "f5ac5c1b120302030100010282018072ac6bb6d9a5726e454b5430c"
		       "71125c6e9"
		       "ad5fd42e1c5a18a8343e9d83d72214386b2308c0b8ec5ec6759dcfc"
		       "d6a21f88b"
		       "8ceaf46403923eb86ac3d14a8592e95de0462e14085c3f17db005dc"
		       "4fac87b4a"
		       "2d1ede5cf851d5745c8651a4438c0a4d746ad72e419207964728c30"
		       "1bf379a01"
		       "c094e9693376f721137d3dc76ee47c9790fbd590b7d6a8d626e21b2"
		       "77ef17a4e"
		       "4f7e0171c1146e1ec324fa97f30d3a1bae08f8d5f6e92cfc1216652"
		       "39c429167"
		       "359e9650434b29d2015190356adfee12f25b341b08f12b7fec63795"
		       "98af7d5cc"
		       "24fe7f00de1d47133ce3ad8b6be1c9a854e33fb952e164ac6dd2a90"
		       "52186ee14"
		       "4ee7dd986a8f03891d0da21ed78516dcdc2ac89cdddc8b544731d66"
		       "f9d89bf17"
		       "a50c6d987a598b02c938dc36521b881ea994e4c8fb2ba8fd001f733"
		       "35d4dd1bd"
		       "be177d3093cf3883657c9ff944e8f5c9cde548b7c1b0741929b0d74"
		       "977ecda69"
		       "4d940aefd9d2fc75323e0b3a114b99feaf3e2518f5158d1fd9d953a"
		       "a20af158e"
		       "67d27e2ce2f18d97fd02f3699819790281c100f5eca16e0e83696b0"
		       "ed9ac8a81"
		       "2545daba55f20a964c4e6343604a7f2be2860fce9fa16a1cc921209"
		       "39deb88df"
		       "f68550383ead851fac07ad1b2e8a9b2bb69525d96ceabb7ee83ce50"
		       "f08d64910"
		       "7f449a14521a6893f3f3c5c5a703b2fc28bfcfe261a4f7f45055808"
		       "0deaeaab6"
		       "51c7a9ae586c1e7f5c52cda93e40aac908e4e3357984fc116af9cbe"
		       "9539bc7a8"
		       "d3b351a73ea5c2413d1da2e0b448b454670aca89ffe73b1401e9b85"
		       "54fc3f23d"
		       "6c904623251a1d29962ca9b26d973345bc4c5f0281c100cf25446f5"
		       "9cf512919"
		       "ddbfcfa2d9670495ad92b6f295d61032057f9da6dbefc4510a623c2"
		       "b47a52200"
		       "82a3bc42af1a144f98c9ee4fdae41be0ec501ccc94b2b0640191099"
		       "b35561116"
		       "0deb327e8ace018b898025ef470e4373ec1d97f669e298e1d845c65"
		       "53c0a546c"
		       "cb168d5b510dbe6018fd4ed9a3545f9bdb81968f4a6d7c790e5c347"
		       "29a8efb49"
		       "6086fa1300249ab8b28f38951d7bee1c127ac3c4d0bd596edee1e9d"
		       "17781dbb8"
		       "227d7b5d76ce8b8bce03c5d339b9757981610848c55cdd0281c0635"
		       "7a59679d2"
		       "6801514c6940c20eb67b370e84e9f5f0f9316c0437d3cb7c843f5a6"
		       "e6d9c19e8"
		       "bdb3152e93f904cfe6e692f1eed27a0ada46f95601b3d122be793da"
		       "d9bdd05d4"
		       "f6d469105ecfc11448381dc154ddadf6bc20c649435b483585d68a5"
		       "27b7b967b"
		       "e52e35e0be9a437021c1cfa5f4771567cc233c1ce3ae99eb37daf8b"
		       "d10156b4b"
		       "d580a3ce9c7d391bdbb23e67363a947405c6c812cbd3dccc8b356a2"
		       "dafd0d3b2"
		       "3a21b684b458e4ab3854bcd9be04cdc9d65ceeb10a8531c470ed028"
		       "1bf04dada"
		       "bfc15b1a8bdc0f566f876191088a7986f6c2b8c04ba0e0801d31cbf"
		       "5d2a4139a"
		       "39cec9df14ecee22e846a7d3f4a5e8eed2a70c7a4c2cf95ce74fe42"
		       "c4bf60c13"
		       "5a264919bb4cc906ba283d1896f0ae48529b490f0c85ab03068cbfe"
		       "e8fa6bb6a"
		       "e73b182d25cd66f5205b038b4eeaf1aafe2e1ba5de97c88d40fa1ac"
		       "47626602f"
		       "c90ae694734f44f3e4e88d184e8805a755ac2904be8fe9def6b7a62"
		       "cc9ebcf4d"
		       "7c2d6c9f9e86b2483e9bf22ce51861bbb4e73e731a4dbeba87772d2"
		       "90281c021"
		       "4a1f73130e48b336fe01b950885ecdb3443d93e7e8ca62fb0da96bd"
		       "423759d8b"
		       "e552c8be44f139fbee6ec24b75fbf0744fac4daabf5488fe6c3600d"
		       "9b8e9a922"
		       "481fc74a7a3d622662db8c85318de48ee8b716f19429fb594990da7"
		       "05ebdf7ef"
		       "6613dd6bf885c16ad65e9fe6c280386bee976c25dbaff8fbf69baed"
		       "9510be5ed"
		       "ed3f90e0ba4a97e5c81a2189f114670745ab95edda215bd05fdc789"
		       "29fa0cfe8"
		       "b01c83f2aec93e3ad1a334fd85aa8794eacf955ae5dacd45b268741"
		       "fca195c",
		.msg = "",
		.expect = "157ffb942b1363b5989ec4beb93fb0187ef016de4ce055620825"
			  "d13c3dafd4ff"
			  "f621c71920e884ba28c5e98b328baac29ad4bfc4d2cae2f0ecb9"
			  "d1b6c9fbdfc3"
			  "85aa565aaf6c5b3150e085e0316e21d7d440a873074e5d2700d9"
			  "61114ed42047"
			  "8647a4769d832691f7a004d934a89dc249c9343341902d5d0c3d"
			  "1a6230012656"
			  "34216beacd5f756821f21c3b58111790657690918a2eafa9e85a"
			  "b1ee44edd3d8"
			  "bb89e892acf411ba9eaaeef88eca37dffbda72751c117364fd1b"
			  "38c840d7b423"
			  "18fcd011a4449aeffc2de32836d3a4f704d4c8ad4e078315d0d1"
			  "758f098f2ea7"
			  "49ccce62aac592ac4041b5e733ba0431b88332a39a2af7f68f9b"
			  "b1f469a793b2"
			  "80b964f285ce5cd1ff3adcd7dbd464a7c9414ed45791073f0841"
			  "5be2dd9f01dc"
			  "2fec8c3a26fe97d9778e2b2fccf71a1ea5e9ce017d2d46778d7e"
			  "37bb832ebd58"
			  "25b3257a7852db5cb6c132bcf9ba3522a670b0e866585444ed36"
			  "01fd32a92281"
			  "8ef6611626eee3ea99cfcfeeaa4c370567cc65e0479bd35e091b"
			  "772d7445cade",
	},
	/* Project Wycheproof rsa_oaep_2048_sha256_mgf1sha256_test.json, tcId 9 (20-byte label); then pairwise OAEP and signature tests with the same key */
	{
		.name = "rsa2048-oaep-sha256-wycheproof",
		.kind = KW_KAT_OAEP_DEC,
		.type = KW_KEY_RSA_2048,
		.hash = KW_HASH_SHA256,
		.key = "308204bd020100300d06092a864886f70d0101010500048204a7308"
		       "204a30201"
		       "000282010100a2b451a07d0aa5f96e455671513550514a8a5b462eb"
		       "ef717094f"
		       "a1fee82224e637f9746d3f7cafd31878d80325b6ef5a1700f65903b"
		       "469429e89"
		       "d6eac8845097b5ab393189db92512ed8a7711a1253facd20f79c15e"
		       "8247f3d3e"
		       "42e46e48c98e254a2fe9765313a03eff8f17e1a029397a1fa26a8dc"
		       "e26f490ed"
		       "81299615d9814c22da610428e09c7d9658594266f5c021d0fceca08"
		       "d945a12be"
		       "82de4d1ece6b4c03145b5d3495d4ed5411eb878daf05fd7afc3e09a"
		       "da0f11264"
		       "22f590975a1969816f48698bcbba1b4d9cae79d460d8f9f85e79750"
		       "05d9bc22c"
		       "4e5ac0f7c1a45d12569a62807d3b9a02e5a530e773066f453d1f5b4"
		       "c2e9cf782"
		       "0283f742b9d50203010001028201007627eef3567b2a27268e52053"
		       "ecd31c3a7"
		       "172ccb9ddcee819b306a5b3c66b7573ca4fa88efc6f3c4a00bfa0ae"
		       "7139f6454"
		       "3a4dac3d05823f6ff477cfcec84fe2ac7a68b17204b390232e11031"
		       "0c4e899c4"
		       "e7c10967db4acde042dbbf19dbe00b4b4741de1020aaaaffb5054c7"
		       "97c9f136f"
		       "7d93ac3fc8caff6654242d7821ebee517bf537f44366a0fdd45ae05"
		       "b9909c2e6"
		       "cc1ed9281eff4399f76c96b96233ec29ae0bbf0d752b234fc197389"
		       "f51050aa1"
		       "acd01c074c3ac8fbdb9ea8b651a95995e8db4ad5c43b6c8673e5a12"
		       "6e7ee94b8"
		       "dff4c5afc01259bc8da76950bae6f8bae715f50985b0d6f66d04c6f"
		       "ef3b70072"
		       "0eecdcdf171bb7b1ecbe7289c467c102818100dc431050f782e894f"
		       "b5248247d"
		       "98cb7d58b8d1e24f3b55d041c56e4de086b0d5bb028bda42eeb5d23"
		       "4d5681e58"
		       "09d415e6a289ad4cfbf78f978f6c35814f50eebff1c5b80a69f788e"
		       "81e6bab5d"
		       "daa78369d659d143ec6f17e79813a575cfad9c569156b90113e2e91"
		       "10ad9e7b4"
		       "8a1c9348a6e653321191290ea36cfb3a5b18f102818100bd1a81e79"
		       "77f989812"
		       "2273ae3222b598ea5fb19eb4eabc38308a5e32196603b2e500ffb79"
		       "f5b886816"
		       "611debc472fac45544070beb057c941378a6868af3b7a03d3f9880e"
		       "c47d5e089"
		       "b94fbde542aba9ae8d72c57088d7abf5b131f39098f7bc160f90536"
		       "abc9492fd"
		       "4e06f3ed7299d4b97bb03677207d95669f140cfbc20f2502818100a"
		       "94b528b28"
		       "f291599121d91952ffd1c7f21d7c1479d99d478885fb161870ee121"
		       "8bf084726"
		       "12dbe5497e8d9c650688e09c786961ae3e2c354dc48ae34514759c4"
		       "c23c45884"
		       "88961dc06b414e61c0e1e7fbbd2923d31532fe289f96da220711e58"
		       "c14019808"
		       "e00414276933bb07e4efb9b4a9b37656917205209f33f09515d7c10"
		       "281803af0"
		       "e72a933aef09ff2503df78bafed531c02ff1a2bc437c540cdcbd4ad"
		       "35435cf51"
		       "1763596543480629b114ca7f780ff7efa32ea0cb6e000d6d9ea1f2e"
		       "f71fd9cf9"
		       "948422a165557e37e755edfe70d90b920502eb478bc98a63f788ce3"
		       "a0f856d6e"
		       "de7251a383bfa8fa480a81a925af7b3cc538c4bab8c9f7597ffb680"
		       "11d8d0281"
		       "802640fbfbcfefb163ee7a87b6483a66ee41f956d90fa8a7939bfc0"
		       "42ee0924b"
		       "1b7993d0445f758d51933e85179c0320b0c968b48a91c38b5be923e"
		       "1097c0c56"
		       "2f88d42294b6a2759bafa5428a74f1270874e45f6fcc60f21602de5"
		       "eccd143cf"
		       "31241f5921b5ad3983fb54ef17be3b285367e50c999c67247b552fe"
		       "4bfce945f"
		       "7b",
		.aad = "000102030405060708090a0b0c0d0e0f10111213",
		.msg = "a0443ba434156d0b503ec662f5eb5b10e20ad0cb8233720ee187ba9"
		       "86e4811dd"
		       "312844d3edb26bfaf51b4b9268dc3c76072dd47c199d713c91824da"
		       "23ff00481"
		       "ee69e9d4cc543120fc33b7244bf0c1ad5fdd1ae9cbada7fe9a70ad0"
		       "afaaaad83"
		       "61e8dc4b3198ae661a84e275b60bf2ebb85e512da785d2fc3482294"
		       "fa1196768"
		       "1d7bceffc08ce0e36f0a8af7fcfb1337186863c2c1c1b94c9ec9785"
		       "cd3d94d15"
		       "437c23b775677f3d29a4c9e52f13398fd14661160e5868bca97625a"
		       "a6c7ecb07"
		       "bbb479644def353f1f01a4c4100f9adb82c4f6a265a5ee962da58c3"
		       "c042aa549"
		       "c9d2de3008e7448e0c4b9b4ac8f5e4d8629873909bb995ccc0825fe"
		       "87d81d596",
		.expect = "313233343030",
	},
};

const size_t kw_kat_count = sizeof(kw_kat_table) / sizeof(kw_kat_table[0]);
