package ai.infrastack.gateway.sandbox;

import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic text arithmetic shared by every simulator: one "token" is one whitespace-separated
 * word, so tests can compute expected usage by hand.
 */
final class SandboxText {

    private SandboxText() {
    }

    static int countWords(CharSequence text) {
        if (text == null) {
            return 0;
        }
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (!space && !inWord) {
                words++;
            }
            inWord = !space;
        }
        return words;
    }

    /** The text up to the end of its {@code n}-th word (original spacing kept). */
    static String firstWords(String text, int n) {
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (!space && !inWord) {
                if (words == n) {
                    return text.substring(0, i).stripTrailing();
                }
                words++;
            }
            inWord = !space;
        }
        return text;
    }

    /** At most {@code n} chars, never splitting a surrogate pair. */
    static String firstChars(String text, int n) {
        if (text.length() <= n) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(n - 1)) ? n - 1 : n;
        return text.substring(0, end);
    }

    /** Splits text into stream deltas, one word each with its leading whitespace; they concatenate back to the text. */
    static List<String> wordDeltas(String text) {
        List<String> deltas = new ArrayList<>();
        int start = 0;
        boolean seenWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (space && seenWord) {
                deltas.add(text.substring(start, i));
                start = i;
                seenWord = false;
            } else if (!space) {
                seenWord = true;
            }
        }
        if (start < text.length()) {
            deltas.add(text.substring(start));
        }
        return deltas;
    }

    /** Splits a string into {@code parts} roughly equal pieces (for streaming tool arguments). */
    static List<String> pieces(String text, int parts) {
        List<String> out = new ArrayList<>(parts);
        int size = Math.max(1, (text.length() + parts - 1) / parts);
        for (int i = 0; i < text.length(); i += size) {
            out.add(text.substring(i, Math.min(text.length(), i + size)));
        }
        return out;
    }

    /** True for {@code ^[a-zA-Z0-9_-]{1,maxLength}$}, the tool-name rule both vendors enforce. */
    static boolean isToolName(String name, int maxLength) {
        if (name.isEmpty() || name.length() > maxLength) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
