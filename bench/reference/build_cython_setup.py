# build helper (equivalent of the upstream "cythonize -a -i sparseoperations.pyx", plus the numpy include dir)
from setuptools import setup, Extension
from Cython.Build import cythonize
import numpy
setup(ext_modules=cythonize([Extension("sparseoperations", ["sparseoperations.pyx"], include_dirs=[numpy.get_include()])], annotate=True))
