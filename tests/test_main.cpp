// The one main() of every test executable.
#define BOOST_TEST_MODULE passbook
#include <boost/test/unit_test.hpp>
