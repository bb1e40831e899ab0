/*
 * calib.h - `tyndau calibrate`: ABC-SMC calibration against the published survey
 * (docs/calibration.md).
 */
#ifndef TYNDAU_CALIB_H
#define TYNDAU_CALIB_H

/* Entry point of the subcommand; returns the exit status (0, 1 internal, 2 bad input). */
int tyndau_cmd_calibrate(int argc, char **argv, const char *command_line);

#endif
