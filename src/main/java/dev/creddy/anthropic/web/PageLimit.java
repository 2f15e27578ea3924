package dev.creddy.anthropic.web;

/**
 * The {@code limit} query parameter of the paged lists ({@code GET /v1/tokens}, {@code GET /v1/usage}):
 * one parser, so both answer a bad value with the same message. Stateless.
 */
final class PageLimit {

    private PageLimit() {
    }

    /**
     * @param text the parameter as sent, or null when absent
     * @return {@code defaultPage} when absent, else the number
     * @throws IllegalArgumentException saying the range, when the text is not a whole number from 1 to {@code maxPage}
     */
    static int parse(String text, int defaultPage, int maxPage) {
        if (text == null) {
            return defaultPage;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= maxPage) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("limit must be a whole number from 1 to " + maxPage);
    }
}
