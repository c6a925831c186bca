# SPDX-License-Identifier: Apache-2.0
# Conan 2 recipe of nativeauth. Not run on the project's CI machine (Conan cannot be installed
# there): scripts/check-package compiles this file and builds test_package/ with plain CMake against
# an install tree instead (docs/getting-started.md says what that does and does not prove).
import os
import re

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir

required_conan_version = ">=2.0"


class NativeauthConan(ConanFile):
    name = "nativeauth"
    description = "OAuth 2.0 / OpenID Connect sign-in for native apps (RFC 8252)"
    license = "Apache-2.0"
    topics = ("oauth2", "openid-connect", "pkce", "rfc8252", "native-apps")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False], "with_libsecret": [True, False]}
    default_options = {"shared": True, "fPIC": True, "with_libsecret": True}

    def set_version(self):
        # The one version number lives in the top-level project() call.
        text = load(self, os.path.join(self.recipe_folder, "..", "CMakeLists.txt"))
        self.version = re.search(r"project\(nativeauth\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)", text).group(1)

    def export_sources(self):
        # The recipe lives in conan/; the sources are one level up.
        top = os.path.join(self.recipe_folder, "..")
        copy(self, "CMakeLists.txt", top, self.export_sources_folder)
        for folder in ("cmake", "sdk", "platform", "samples"):
            copy(self, "*", os.path.join(top, folder), os.path.join(self.export_sources_folder, folder))

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC
        if self.settings.os != "Linux":
            del self.options.with_libsecret

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # libcurl and OpenSSL stay private to a shared libnativeauth; nlohmann_json is header-only
        # and compiled in. On Linux libcurl, OpenSSL's libcrypto and libsecret are dlopened at run
        # time (docs/adr/0005, 0008, 0009), but their headers are still needed and their libraries
        # must be present.
        self.requires("libcurl/[>=7.88 <9]")
        self.requires("openssl/[>=3 <4]")
        self.requires("nlohmann_json/3.11.3")
        if self.options.get_safe("with_libsecret"):
            self.requires("libsecret/0.21.4")

    def validate(self):
        from conan.tools.build import check_min_cppstd
        check_min_cppstd(self, 17)

    def generate(self):
        tc = CMakeToolchain(self)
        tc.cache_variables["NATIVEAUTH_BUILD_TESTS"] = False
        tc.cache_variables["NATIVEAUTH_BUILD_SAMPLES"] = False
        if self.settings.os == "Linux":
            tc.cache_variables["NATIVEAUTH_WITH_LIBSECRET"] = bool(self.options.get_safe("with_libsecret"))
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        CMake(self).install()
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))

    def package_info(self):
        # The same names as the CMake package and the .pc files the build installs.
        self.cpp_info.set_property("cmake_file_name", "nativeauth")

        cxx = self.cpp_info.components["cxx"]
        cxx.set_property("cmake_target_name", "nativeauth::nativeauth")
        cxx.set_property("pkg_config_name", "nativeauth")
        cxx.libs = ["nativeauth"]
        cxx.requires = ["libcurl::libcurl", "openssl::crypto", "nlohmann_json::nlohmann_json"]
        if self.options.get_safe("with_libsecret"):
            cxx.requires.append("libsecret::libsecret")
        if not self.options.shared:
            cxx.defines = ["NATIVEAUTH_STATIC"]
        if self.settings.os in ("Linux", "FreeBSD"):
            cxx.system_libs = ["dl", "pthread"]

        # The C ABI library (nativeauth_c), a thin layer over the C++ one.
        c = self.cpp_info.components["c"]
        c.set_property("cmake_target_name", "nativeauth::c")
        c.set_property("pkg_config_name", "nativeauth-c")
        c.libs = ["nativeauth_c"]
        c.requires = ["cxx"]
