package ai.infrastack.gateway.support;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), written for the tests
 * so that a scrape is checked as Prometheus would read it, not by substring matching:
 * {@code # HELP name text} (escapes {@code \\} and {@code \n}), {@code # TYPE name type}, other
 * comments, and samples {@code name{label="value",...} value [timestamp]} whose label values may
 * hold {@code \\}, {@code \"} and {@code \n}. Anything malformed throws
 * {@link IllegalArgumentException} naming the line. Values are stricter than Prometheus's own
 * reader: decimal numbers, {@code NaN} and {@code +Inf}/{@code -Inf} only (no hex, no "Infinity").
 */
public final class PrometheusText {
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");
    /** Suffixes a sample's name may add to its family's name. */
    private static final List<String> SUFFIXES = List.of("_total", "_bucket", "_count", "_sum", "_created", "_info");

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value, Long timestampMs) {
        public String label(String name) {
            return labels.get(name);
        }
    }

    private final Map<String, String> types = new LinkedHashMap<>();
    private final Map<String, String> helps = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {}

    public static PrometheusText parse(String text) {
        PrometheusText result = new PrometheusText();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            try {
                result.parseLine(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + " \"" + line + "\": " + e.getMessage(), e);
            }
        }
        return result;
    }

    private void parseLine(String line) {
        String trimmed = stripLeading(line);
        if (trimmed.isEmpty()) {
            return;
        }
        if (trimmed.charAt(0) == '#') {
            parseComment(trimmed.substring(1));
            return;
        }
        samples.add(new Cursor(trimmed).sample());
    }

    private void parseComment(String rest) {
        Cursor c = new Cursor(rest);
        c.skipBlanks();
        int mark = c.pos;
        String keyword = c.word();
        if (!keyword.equals("HELP") && !keyword.equals("TYPE")) {
            c.pos = mark;
            return; // an ordinary comment
        }
        if (!c.skipBlanks()) {
            if (c.atEnd()) {
                return; // "# HELP" alone: a comment, as Prometheus reads it
            }
            throw new IllegalArgumentException("blank expected after " + keyword);
        }
        String name = c.metricName();
        if (keyword.equals("TYPE")) {
            if (!c.skipBlanks()) {
                throw new IllegalArgumentException("TYPE without a type");
            }
            String type = c.word();
            c.skipBlanks();
            if (!c.atEnd()) {
                throw new IllegalArgumentException("unexpected text after the type");
            }
            if (!TYPES.contains(type)) {
                throw new IllegalArgumentException("unknown type '" + type + "'");
            }
            if (types.containsKey(name)) {
                throw new IllegalArgumentException("second TYPE line for " + name);
            }
            types.put(name, type);
        } else {
            String docstring = "";
            if (c.skipBlanks()) {
                docstring = c.helpText();
            } else if (!c.atEnd()) {
                throw new IllegalArgumentException("blank expected after the metric name");
            }
            if (helps.containsKey(name)) {
                throw new IllegalArgumentException("second HELP line for " + name);
            }
            helps.put(name, docstring);
        }
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return s.substring(i);
    }

    // ---- queries ----------------------------------------------------------------------------------

    /** Every sample, in scrape order. */
    public List<Sample> samples() {
        return Collections.unmodifiableList(samples);
    }

    /** The samples named {@code name} exactly. */
    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The samples named {@code name} whose labels include every {@code label, value} pair given. */
    public List<Sample> samples(String name, String... labelPairs) {
        Predicate<Sample> match = matcher(labelPairs);
        return samples.stream().filter(s -> s.name().equals(name)).filter(match).toList();
    }

    /** The sum of the matching samples' values (0 when none matches). */
    public double sum(String name, String... labelPairs) {
        return samples(name, labelPairs).stream().mapToDouble(Sample::value).sum();
    }

    /** The declared type of the family that {@code sampleOrFamilyName} belongs to, or null. */
    public String type(String sampleOrFamilyName) {
        String family = family(sampleOrFamilyName);
        return family == null ? null : types.get(family);
    }

    /** The HELP text of the family that {@code sampleOrFamilyName} belongs to, or null. */
    public String help(String sampleOrFamilyName) {
        String family = family(sampleOrFamilyName);
        return family == null ? null : helps.get(family);
    }

    /** Every family named by a TYPE line, with its type. */
    public Map<String, String> types() {
        return Collections.unmodifiableMap(types);
    }

    /**
     * The family name declared by a TYPE line that a sample called {@code name} belongs to: the name
     * itself, or the name less a suffix the format adds (_total, _bucket, _count, _sum, ...).
     */
    public String family(String name) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : SUFFIXES) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                if (types.containsKey(base)) {
                    return base;
                }
            }
        }
        return null;
    }

    private static Predicate<Sample> matcher(String... labelPairs) {
        if (labelPairs.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs");
        }
        return s -> {
            for (int i = 0; i < labelPairs.length; i += 2) {
                if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
                    return false;
                }
            }
            return true;
        };
    }

    // ---- the line scanner -------------------------------------------------------------------------

    private static final class Cursor {
        private final String s;
        private int pos;

        Cursor(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return pos >= s.length();
        }

        /** Skips spaces and tabs; true when there were any. */
        boolean skipBlanks() {
            int start = pos;
            while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
                pos++;
            }
            return pos > start;
        }

        /** Characters up to the next blank or the end. */
        String word() {
            int start = pos;
            while (!atEnd() && s.charAt(pos) != ' ' && s.charAt(pos) != '\t') {
                pos++;
            }
            return s.substring(start, pos);
        }

        String metricName() {
            int start = pos;
            if (atEnd() || !nameStart(s.charAt(pos), true)) {
                throw new IllegalArgumentException("metric name expected at column " + (pos + 1));
            }
            pos++;
            while (!atEnd() && namePart(s.charAt(pos), true)) {
                pos++;
            }
            return s.substring(start, pos);
        }

        String labelName() {
            int start = pos;
            if (atEnd() || !nameStart(s.charAt(pos), false)) {
                throw new IllegalArgumentException("label name expected at column " + (pos + 1));
            }
            pos++;
            while (!atEnd() && namePart(s.charAt(pos), false)) {
                pos++;
            }
            return s.substring(start, pos);
        }

        private static boolean nameStart(char ch, boolean colonAllowed) {
            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (colonAllowed && ch == ':');
        }

        private static boolean namePart(char ch, boolean colonAllowed) {
            return nameStart(ch, colonAllowed) || (ch >= '0' && ch <= '9');
        }

        void expect(char ch) {
            if (atEnd() || s.charAt(pos) != ch) {
                throw new IllegalArgumentException("'" + ch + "' expected at column " + (pos + 1));
            }
            pos++;
        }

        /** The rest of a HELP line, with \\ and \n unescaped (any other backslash is kept as is). */
        String helpText() {
            StringBuilder b = new StringBuilder();
            while (!atEnd()) {
                char ch = s.charAt(pos++);
                if (ch == '\\' && !atEnd()) {
                    char next = s.charAt(pos);
                    if (next == '\\') {
                        b.append('\\');
                        pos++;
                        continue;
                    }
                    if (next == 'n') {
                        b.append('\n');
                        pos++;
                        continue;
                    }
                }
                b.append(ch);
            }
            return b.toString();
        }

        /** A quoted label value: \\, \" and \n are the only escapes. */
        String labelValue() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (atEnd()) {
                    throw new IllegalArgumentException("unterminated label value");
                }
                char ch = s.charAt(pos++);
                if (ch == '"') {
                    return b.toString();
                }
                if (ch == '\\') {
                    if (atEnd()) {
                        throw new IllegalArgumentException("unterminated escape in a label value");
                    }
                    char next = s.charAt(pos++);
                    switch (next) {
                        case '\\' -> b.append('\\');
                        case '"' -> b.append('"');
                        case 'n' -> b.append('\n');
                        default -> throw new IllegalArgumentException("invalid escape \\" + next + " in a label value");
                    }
                } else {
                    b.append(ch);
                }
            }
        }

        Sample sample() {
            String name = metricName();
            boolean blank = skipBlanks();
            Map<String, String> labels = new LinkedHashMap<>();
            if (!atEnd() && s.charAt(pos) == '{') {
                pos++;
                skipBlanks();
                while (!atEnd() && s.charAt(pos) != '}') {
                    String label = labelName();
                    skipBlanks();
                    expect('=');
                    skipBlanks();
                    String value = labelValue();
                    if (labels.put(label, value) != null) {
                        throw new IllegalArgumentException("label " + label + " given twice");
                    }
                    skipBlanks();
                    if (!atEnd() && s.charAt(pos) == ',') {
                        pos++;
                        skipBlanks();
                    } else if (atEnd() || s.charAt(pos) != '}') {
                        throw new IllegalArgumentException("',' or '}' expected at column " + (pos + 1));
                    }
                }
                expect('}');
                blank = true; // after '}' the value may follow directly, as Prometheus reads it
                skipBlanks();
            }
            if (!blank) {
                throw new IllegalArgumentException("blank expected before the value at column " + (pos + 1));
            }
            double value = number(word());
            Long timestamp = null;
            skipBlanks();
            if (!atEnd()) {
                String ts = word();
                try {
                    timestamp = Long.parseLong(ts);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid timestamp '" + ts + "'");
                }
                skipBlanks();
                if (!atEnd()) {
                    throw new IllegalArgumentException("unexpected text after the timestamp");
                }
            }
            return new Sample(name, Collections.unmodifiableMap(labels), value, timestamp);
        }

        private static double number(String v) {
            switch (v) {
                case "NaN":
                    return Double.NaN;
                case "+Inf":
                case "Inf":
                    return Double.POSITIVE_INFINITY;
                case "-Inf":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
            // Double.parseDouble would also take "Infinity", "0x1p3" and a trailing 'd' or 'f'.
            if (v.isEmpty() || !v.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
                throw new IllegalArgumentException("invalid value '" + v + "'");
            }
            return Double.parseDouble(v);
        }
    }
}
