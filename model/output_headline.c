/*
 * output_headline.c - the run file's /headline group (docs/output_schema.md): the headline
 * measures of headline.h by group and the responsiveness gaps, written through the HDF5 layer
 * as output.c writes the other sections.
 */
#include "h5.h"
#include "headline.h"
#include "internal.h"
#include "output.h"

/* The headline measures of the whole run (headline.h): one vector by group each, and the gaps. */
void tyndau_output_headline(tyndau_h5 *w, hid_t file, const tyndau_model *m)
{
    static const char *const desc[N_HEADLINE] = {
        "Appeals through any channel / problems met, over the whole run.",
        "Appeals resolved by the office / appeals decided.",
        "Formal answers without resolution / appeals decided.",
        "Bribes demanded (paid or refused) / appeals decided.",
        "Mean days from appeal to answer.",
        "Share who have heard of the platforms or know them, on the last day.",
        "Share whose evidence says central authorities pay attention, on the last day.",
        "Share whose evidence says the akimat pays attention, on the last day."};
    hid_t g = tyndau_h5_group(w, file, "/headline",
                              "The headline measures of the run (as compare and sweep report them): each by "
                              "population group over the whole simulated period (NaN where the denominator is "
                              "zero), and the responsiveness gaps as attributes.");
    if (g < 0) return;
    double v[TYNDAU_N_GROUP];
    for (int h = 0; h < N_HEADLINE; h++) {
        for (int k = 0; k < TYNDAU_N_GROUP; k++) v[k] = tyndau_model_headline(m, (tyndau_headline)h, k);
        tyndau_h5_vector(w, g, tyndau_headline_names[h], TYNDAU_H5_F64, TYNDAU_N_GROUP, v, "group", desc[h],
                         h == HL_ANSWER_DAYS ? "days" : "1");
    }
    for (int k = 0; k < N_GAP; k++) tyndau_h5_attr_f64(w, g, tyndau_gap_names[k], tyndau_model_gap(m, (tyndau_gap)k));
    tyndau_h5_close_obj(w, g);
}
