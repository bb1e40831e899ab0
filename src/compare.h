/*
 * compare.h - `tyndau compare`: scenarios side by side with replicates, common random
 * numbers and confidence intervals (docs/scenarios.md).
 */
#ifndef TYNDAU_COMPARE_H
#define TYNDAU_COMPARE_H

int tyndau_cmd_compare(int argc, char **argv, const char *command_line);

#endif
