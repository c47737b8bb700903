"""Writing the descriptions: the context a describer sees, the prompts, the writing rules,
describe and translate.
"""
