/*
 * config.c - the calibration file of `tyndau calibrate` (docs/calibration.md section 4):
 * [calibration] (scenario, targets, sizes, the sampler's settings), [likelihood] (the
 * observation model) and [priors] (one calibrated parameter a line).
 */
#include <stdio.h>
#include <string.h>

#include "calib.h"

/* A model-error sd of the logit-normal model (a family's discrepancy, a breakdown's slope): a
 * number from 0 to 5 (*fixed), or a prior that makes it a calibrated quantity (*dim).  1, or 0
 * with the error said. */
static int sd_key(calib_cfg *c, const char *name, const char *value, const char *what, double *fixed, int *dim)
{
    double x;
    if (prior_parse_real(value, &x) == 0) {
        if (!(x >= 0.0 && x <= 5.0))
            return cfg_error(&c->file, "key '%s': expected %s from 0 to 5, got '%s'", name, what, value);
        *fixed = x;
        return 1;
    }
    if (c->d == MAXD) return cfg_error(&c->file, "more than %d calibrated quantities", MAXD);
    prior_t *pr = &c->prior[c->d];
    if (!cfg_key_prior(&c->file, name, value, 0.0, 5.0, pr)) return 0;
    pr->param = -1;
    *dim = (int)c->d++;
    return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    calib_cfg *c = user;
    if (c->file.err.status != TYNDAU_OK) return 0;
    int sec = strcmp(section, "calibration") == 0 ? 1 : strcmp(section, "likelihood") == 0 ? 2
            : strcmp(section, "priors") == 0 ? 3 : strcmp(section, "history_match") == 0 ? 4 : 0;
    if (sec == 0)
        return cfg_error(&c->file, "unknown section [%s], expected [calibration], [likelihood], [priors] or "
                         "[history_match]", section);
    if (cfg_seen(&c->file, section, name)) return cfg_error(&c->file, "key '%s' appears twice", name);
    if (value[0] == '\0') return cfg_error(&c->file, "key '%s': empty value", name);
    size_t u;
    double x;
    if (sec == 1) {
        if (strcmp(name, "scenario") == 0) return cfg_key_path(&c->file, name, value, c->scenario);
        if (strcmp(name, "targets") == 0) return cfg_key_path(&c->file, name, value, c->targets);
        if (strcmp(name, "agents") == 0) return cfg_key_count(&c->file, name, value, 100, 100000000, &c->agents);
        if (strcmp(name, "seed") == 0) return cfg_key_u64(&c->file, name, value, &c->seed);
        if (strcmp(name, "particles") == 0) return cfg_key_count(&c->file, name, value, 8, 100000, &c->particles);
        if (strcmp(name, "ess_fraction") == 0) {
            if (prior_parse_real(value, &x) != 0 || !(x > 0.05 && x < 0.99))
                return cfg_error(&c->file, "key 'ess_fraction': expected a number in (0.05, 0.99), got '%s'", value);
            c->ess_fraction = x;
            return 1;
        }
        if (strcmp(name, "moves") == 0 && strncmp(value, "adaptive", 8) == 0) {
            u = CALIB_ADAPTIVE_CAP;
            if ((value[8] != '\0' && value[8] != ' ') || (value[8] == ' ' && cfg_count(value + 9, 1, 100, &u) != 0))
                return cfg_error(&c->file, "key 'moves': expected a whole number from 1 to 20, or 'adaptive' or "
                                 "'adaptive CAP' (CAP from 1 to 100), got '%s'", value);
            c->adaptive = 1;
            c->moves = (int)u;
            return 1;
        }
        if (strcmp(name, "moves") == 0 || strcmp(name, "crn_moves") == 0 ||
            strcmp(name, "max_generations") == 0) {
            size_t lo = strcmp(name, "moves") == 0 ? 1 : 0, hi = strcmp(name, "max_generations") == 0 ? 1000 : 20;
            if (strcmp(name, "max_generations") == 0) lo = 1;
            if (cfg_count(value, lo, hi, &u) != 0)
                return cfg_error(&c->file, "key '%s': expected a whole number from %zu to %zu, got '%s'", name, lo, hi, value);
            if (name[0] == 'm' && name[1] == 'o') c->moves = (int)u;
            else if (name[0] == 'c') c->crn_moves = (int)u;
            else c->max_generations = (int)u;
            return 1;
        }
        if (strcmp(name, "surrogate_steps") == 0) {
            if (cfg_count(value, 0, 1000, &u) != 0)
                return cfg_error(&c->file, "key 'surrogate_steps': expected a whole number from 0 (off) to 1000, got "
                                 "'%s'", value);
            c->surrogate_steps = (int)u;
            return 1;
        }
        if (strcmp(name, "obs_steps") == 0) {
            if (cfg_count(value, 0, 1000, &u) != 0)
                return cfg_error(&c->file, "key 'obs_steps': expected a whole number from 0 (off) to 1000, got '%s'",
                                 value);
            c->obs_steps = (int)u;
            return 1;
        }
        if (strcmp(name, "max_simulations") == 0) return cfg_key_count(&c->file, name, value, 1, 100000000, &c->max_simulations);
        if (strcmp(name, "predictive_draws") == 0) return cfg_key_count(&c->file, name, value, 10, 100000, &c->predictive_draws);
        if (strcmp(name, "age_prior_sd") == 0) {
            if (prior_parse_real(value, &x) != 0 || !(x > 0.0 && x <= 1.0))
                return cfg_error(&c->file, "key 'age_prior_sd': expected a share in (0, 1], got '%s'", value);
            c->age_prior_sd = x;
            return 1;
        }
        return cfg_error(&c->file, "unknown key '%s' in [calibration], expected scenario, targets, agents, seed, "
                        "particles, ess_fraction, moves, crn_moves, surrogate_steps, obs_steps, max_generations, max_simulations, "
                        "predictive_draws or age_prior_sd", name);
    }
    if (sec == 2) {
        if (strcmp(name, "model") == 0) {
            if (strcmp(value, "multinomial") == 0) c->dm = 0, c->kind = TYNDAU_OBS_MULTINOMIAL;
            else if (strcmp(value, "dirichlet-multinomial") == 0) c->dm = 1, c->kind = TYNDAU_OBS_DM;
            else if (strcmp(value, "logit-normal") == 0) c->dm = 0, c->kind = TYNDAU_OBS_LOGIT_NORMAL;
            else return cfg_error(&c->file, "key 'model': expected multinomial, dirichlet-multinomial or logit-normal, "
                                  "got '%s'", value);
            return 1;
        }
        if (strcmp(name, "design_effect") == 0) {
            if (prior_parse_real(value, &x) != 0 || !(x >= 1.0 && x <= 10.0))
                return cfg_error(&c->file, "key 'design_effect': expected a number from 1 to 10 (1: simple random "
                                 "sampling; a quota sample's is about 1-2), got '%s'", value);
            c->deff = x;
            c->deff_given = 1;
            return 1;
        }
        if (strncmp(name, "discrepancy_", 12) == 0) {
            int f = -1;
            for (int k = 0; k < TYNDAU_N_FAM; k++)
                if (strcmp(name + 12, tyndau_obs_family_names[k]) == 0) f = k;
            if (f < 0)
                return cfg_error(&c->file, "unknown key '%s' in [likelihood], expected discrepancy_awareness, "
                                 "discrepancy_attention, discrepancy_contact, discrepancy_meaning, "
                                 "discrepancy_principles or discrepancy_other", name);
            if (c->disc_line == 0) c->disc_line = c->file.lineno;
            c->disc_given[f] = 1;
            return sd_key(c, name, value, "a logit-scale sd", &c->disc_fixed[f], &c->disc_dim[f]);
        }
        if (strcmp(name, "slope_age") == 0 || strcmp(name, "slope_income") == 0) {
            int k = name[6] == 'a' ? TYNDAU_SLOPE_AGE : TYNDAU_SLOPE_INCOME;
            if (c->slope_line == 0) c->slope_line = c->file.lineno;
            c->slope_given[k] = 1;
            return sd_key(c, name, value, "a logit-scale sd per group step", &c->slope_fixed[k], &c->slope_dim[k]);
        }
        if (strcmp(name, "breakdowns") == 0) {
            if (strcmp(value, "split") == 0) c->breakdown = TYNDAU_OBS_SPLIT;
            else if (strcmp(value, "full") == 0) c->breakdown = TYNDAU_OBS_FULL;
            else return cfg_error(&c->file, "key 'breakdowns': expected split or full, got '%s'", value);
            return 1;
        }
        if (strcmp(name, "concentration") == 0) {
            if (prior_parse_real(value, &x) == 0) {
                if (!(x > 0.0)) return cfg_error(&c->file, "key 'concentration': expected > 0, got '%s'", value);
                c->concentration = x;
                return 1;
            }
            if (c->d == MAXD) return cfg_error(&c->file, "more than %d calibrated quantities", MAXD);
            prior_t *pr = &c->prior[c->d];
            if (!cfg_key_prior(&c->file, name, value, 1e-3, 1e9, pr)) return 0;
            pr->param = -1;
            c->conc_dim = (int)c->d++;
            return 1;
        }
        return cfg_error(&c->file, "unknown key '%s' in [likelihood], expected model, concentration, breakdowns, "
                         "design_effect, discrepancy_FAMILY, slope_age or slope_income", name);
    }
    if (sec == 4) return calib_hm_key(c, name, value);
    /* [priors] */
    if (c->d == MAXD) return cfg_error(&c->file, "more than %d calibrated quantities", MAXD);
    if (!cfg_key_param(&c->file, name, value, "calibrated", &c->prior[c->d])) return 0;
    c->d++;
    return 1;
}

tyndau_status calib_config_load(calib_cfg *c, const char *path, tyndau_error *err)
{
    memset(c, 0, sizeof *c);
    c->agents = 50000;
    c->seed = 1;
    c->particles = 200;
    c->ess_fraction = 0.5;
    c->moves = 2;
    c->crn_moves = 1;
    c->max_generations = 60;
    c->max_simulations = 40000;
    c->predictive_draws = 200;
    c->age_prior_sd = 0.02;
    c->conc_dim = -1;
    c->breakdown = TYNDAU_OBS_SPLIT;
    c->kind = TYNDAU_OBS_MULTINOMIAL;
    c->deff = 1.0;
    for (int f = 0; f < TYNDAU_N_FAM; f++) c->disc_dim[f] = -1;
    calib_hm_defaults(&c->hm);
    for (int k = 0; k < TYNDAU_N_SLOPE; k++) c->slope_dim[k] = -1;
    static const char *const sections[] = {"calibration", "likelihood", "priors", "history_match", NULL};
    if (cfg_parse(&c->file, path, sections, on_key, c) != TYNDAU_OK) {
        *err = c->file.err;
        return err->status;
    }
    if (c->disc_line > 0 && c->kind != TYNDAU_OBS_LOGIT_NORMAL) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: a discrepancy_* key needs 'model = logit-normal' in [likelihood] "
                 "(the other models have no per-family discrepancy)", path, c->disc_line);
    }
    if (c->slope_line > 0 && c->kind != TYNDAU_OBS_LOGIT_NORMAL) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: a slope_* key needs 'model = logit-normal' in [likelihood] "
                 "(the other models have no slope discrepancy)", path, c->slope_line);
    }
    size_t n_param = 0;
    for (size_t k = 0; k < c->d; k++) n_param += c->prior[k].param >= 0;
    if (n_param == 0) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: no parameters to calibrate: expected a [priors] section with at "
                 "least one 'parameter = SHAPE ...' line", path);
    }
    if (c->crn_moves > c->moves) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: crn_moves (%d) exceeds moves (%d)", path, c->crn_moves, c->moves);
    }
    if (!c->dm && (c->conc_dim >= 0 || c->concentration > 0.0)) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: a concentration is given but the likelihood model is multinomial; "
                 "expected 'model = dirichlet-multinomial'", path);
    }
    if (c->dm && c->conc_dim < 0 && !(c->concentration > 0.0)) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: the dirichlet-multinomial model needs 'concentration' (a number or "
                 "a prior) in [likelihood]", path);
    }
    return TYNDAU_OK;
}
