/* 04_cnn/cnn.c — placeholder while the chapter is written (see README.md). */
#include <stdio.h>
int main(void)
{
    printf("04_cnn: being written\n");
    return 0;
}
