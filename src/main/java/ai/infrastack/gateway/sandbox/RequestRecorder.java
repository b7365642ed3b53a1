package ai.infrastack.gateway.sandbox;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

/** Keeps the most recent requests (bounded, oldest dropped first). */
final class RequestRecorder {

    private final int capacity;
    private final ArrayDeque<RecordedRequest> requests;

    RequestRecorder(int capacity) {
        this.capacity = capacity;
        this.requests = new ArrayDeque<>(capacity);
    }

    synchronized void add(RecordedRequest request) {
        if (requests.size() == capacity) {
            requests.removeFirst();
        }
        requests.addLast(request);
    }

    /** Oldest first. */
    synchronized List<RecordedRequest> snapshot() {
        return List.copyOf(requests);
    }

    synchronized RecordedRequest last(String format) {
        for (Iterator<RecordedRequest> it = requests.descendingIterator(); it.hasNext(); ) {
            RecordedRequest request = it.next();
            if (format == null || format.equals(request.format())) {
                return request;
            }
        }
        return null;
    }

    synchronized void clear() {
        requests.clear();
    }
}
