"""Curation: quality filters, benchmark decontamination, cross-source dedup, labels and downsampling."""
