/* 06_embeddings/pipeline.h — section 1: the text pipeline (pipeline.c). */
#ifndef CH06_PIPELINE_H
#define CH06_PIPELINE_H

#include "data/imdb.h"
#include "train/chapter.h"

/* Section 1: a real IMDb review through each step of the pipeline (data/tokenize.h); token
 * counts and vocabulary sizes of the split under raw white-space splitting, + lower case,
 * + HTML/URLs/punctuation/clitics, + stop-word removal, + Porter stemming; the stop-word caveat
 * on sentiment ("not good"); Porter on the lecture's examples. Metrics pipeline_*. */
void pipeline_section(Chapter *ch, const ImdbSplit *train);

#endif
