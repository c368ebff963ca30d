/* embed_assets.c: generates the C table of web assets.
 *   embed_assets OUT.c ROOT FILE...   (each FILE under ROOT becomes
 *   "/static/<path relative to ROOT>") */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: embed_assets OUT.c ROOT [FILE...]\n");
    return 2;
  }
  FILE *out = fopen(argv[1], "w");
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  size_t root_len = strlen(argv[2]);
  fprintf(out, "#include \"traceview/server.h\"\n");
  for (int i = 3; i < argc; i++) {
    FILE *in = fopen(argv[i], "rb");
    if (!in) {
      perror(argv[i]);
      return 1;
    }
    fprintf(out, "static const unsigned char asset_%d[] = {", i);
    int c;
    size_t n = 0;
    while ((c = fgetc(in)) != EOF) fprintf(out, "%s%d,", (n++ % 24) ? "" : "\n", c);
    fprintf(out, "0};\n");
    fclose(in);
  }
  fprintf(out, "const tv_asset_t tv_assets[] = {\n");
  for (int i = 3; i < argc; i++) {
    const char *rel = argv[i];
    if (strncmp(rel, argv[2], root_len) == 0) rel += root_len;
    while (*rel == '/') rel++;
    fprintf(out, "  {\"/static/%s\", asset_%d, sizeof asset_%d - 1},\n", rel, i, i);
  }
  fprintf(out, "  {0, 0, 0}};\nconst size_t tv_n_assets = %d;\n", argc - 3);
  return fclose(out) == 0 ? 0 : 1;
}
