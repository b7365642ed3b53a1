package ai.infrastack.gateway.sandbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Ids derived from the request body: the same request always gets the same ids. */
final class RequestHash {

    private static final char[] ALNUM =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final char[] LOWER_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final char[] LOWER_HEX = "0123456789abcdef".toCharArray();

    /** MessageDigest lookups are slow and instances are not thread-safe: one per thread, reused. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always present", e);
        }
    });

    private final byte[] digest;

    private RequestHash(byte[] digest) {
        this.digest = digest;
    }

    static RequestHash of(String body) {
        return new RequestHash(sha256(new byte[0], body.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code length} chars of [0-9A-Za-z]; {@code salt} keeps ids of different kinds apart. */
    String alnum(String salt, int length) {
        return encode(salt, length, ALNUM);
    }

    /** {@code length} chars of [0-9a-z] (Together and Cohere ids). */
    String lowerAlnum(String salt, int length) {
        return encode(salt, length, LOWER_ALNUM);
    }

    String hex(String salt, int length) {
        return encode(salt, length, LOWER_HEX);
    }

    /** A version-4-shaped UUID, e.g. {@code 3f2b…-…-4…-8…-…} (Cohere ids). */
    String uuid(String salt) {
        String hex = hex(salt, 32);
        return hex.substring(0, 8) + '-' + hex.substring(8, 12) + "-4" + hex.substring(13, 16) + "-8"
                + hex.substring(17, 20) + '-' + hex.substring(20, 32);
    }

    /** A non-negative long (Together's {@code seed}). */
    long positiveLong(String salt) {
        return Long.parseUnsignedLong(hex(salt, 15), 16);
    }

    private String encode(String salt, int length, char[] alphabet) {
        StringBuilder out = new StringBuilder(length);
        byte[] block = digest;
        int round = 0;
        while (out.length() < length) {
            block = sha256(block, (salt + '#' + round++).getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < block.length && out.length() < length; i++) {
                out.append(alphabet[(block[i] & 0xff) % alphabet.length]);
            }
        }
        return out.toString();
    }

    private static byte[] sha256(byte[] first, byte[] second) {
        MessageDigest sha = SHA256.get();
        sha.update(first);
        sha.update(second);
        return sha.digest();
    }
}
