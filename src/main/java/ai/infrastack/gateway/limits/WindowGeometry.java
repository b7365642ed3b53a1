package ai.infrastack.gateway.limits;

/**
 * The rolling window as buckets: usage is counted in buckets of {@code bucketMillis}, and a bucket
 * is counted until a whole window has passed after its end. So any usage of the last hour is
 * counted (the limit holds in every rolling hour), and usage is counted for at most one bucket
 * longer than the window: a caller may be refused up to one bucket (1/60 of the hour by
 * default) earlier than by an exact log of every request.
 */
public record WindowGeometry(long bucketMillis, int windowBuckets) {

    public static WindowGeometry hourOf(long bucketSeconds) {
        if (bucketSeconds <= 0 || 3600 % bucketSeconds != 0) {
            throw new IllegalArgumentException("gateway.limits.bucket-seconds must divide 3600, got " + bucketSeconds);
        }
        return new WindowGeometry(bucketSeconds * 1000, (int) (3600 / bucketSeconds));
    }

    public long bucketAt(long nowMillis) {
        return Math.floorDiv(nowMillis, bucketMillis);
    }

    /** The oldest bucket still counted at this bucket. */
    public long oldestCounted(long nowBucket) {
        return nowBucket - windowBuckets;
    }

    /** When a bucket's usage stops being counted. */
    public long leavesAtMillis(long bucket) {
        return (bucket + windowBuckets + 1) * bucketMillis;
    }

    /** How long Redis keeps a key nobody touches: a little over the time its newest bucket is counted. */
    public long ttlSeconds() {
        return (windowBuckets + 2) * bucketMillis / 1000;
    }
}
